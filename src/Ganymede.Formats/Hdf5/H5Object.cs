using System.Runtime.InteropServices;
using System.Text;

namespace Ganymede.Formats.Hdf5;

/// <summary>A group or dataset: its path in the file and its attributes (numbers, strings, arrays of numbers).</summary>
public abstract unsafe class H5Object : IDisposable
{
    private bool _closed;

    private protected H5Object(long id, string file, string path)
    {
        Id = id;
        File = file;
        Path = path;
    }

    internal long Id { get; }

    /// <summary>The file's path on disk, for messages.</summary>
    public string File { get; }

    /// <summary>The object's path inside the file ("/" for the root).</summary>
    public string Path { get; }

    public IReadOnlyList<string> AttributeNames => H5Names.Of(Id, attributes: true, File, Path);

    public bool HasAttribute(string name) => H5Native.H5Aexists(Id, name) > 0;

    /// <summary>Sets (or replaces) an attribute: a number, a string, or an array of numbers.</summary>
    public void SetAttribute(string name, object value)
    {
        if (HasAttribute(name)) H5Check.Ok(H5Native.H5Adelete(Id, name), $"replacing attribute '{name}'", File, Path);
        switch (value)
        {
            case string s: WriteString(name, s); break;
            case double d: Write(name, [d], scalar: true); break;
            case float f: Write(name, [f], scalar: true); break;
            case long l: Write(name, [l], scalar: true); break;
            case int i: Write(name, [i], scalar: true); break;
            case bool b: Write(name, [b ? 1L : 0L], scalar: true); break;
            case double[] a: Write(name, a, scalar: false); break;
            case float[] a: Write(name, a, scalar: false); break;
            case long[] a: Write(name, a, scalar: false); break;
            case int[] a: Write(name, a, scalar: false); break;
            default: throw new ArgumentException($"{File}:{Path}: attribute '{name}' has unsupported type {value.GetType().Name}");
        }
    }

    /// <summary>An attribute's value: double or long for scalars, string, or double[] / long[] for arrays.</summary>
    public object GetAttribute(string name)
    {
        if (!HasAttribute(name)) throw new KeyNotFoundException($"{File}:{Path}: no attribute '{name}'");
        long attr = H5Check.Id(H5Native.H5Aopen(Id, name, H5Native.Default), $"opening attribute '{name}'", File, Path);
        long type = H5Native.H5Aget_type(attr);
        long space = H5Native.H5Aget_space(attr);
        try
        {
            var kind = H5Types.Classify(type, File, $"{Path}@{name}");
            long count = H5Dataset.Count(H5Dataset.Dims(space));
            bool scalar = H5Native.H5Sget_simple_extent_ndims(space) == 0;
            if (kind == H5Type.String) return ReadString(attr, type, name);
            // An empty array has no buffer to read into, and libhdf5 refuses a null one.
            if (count == 0) return kind is H5Type.Float32 or H5Type.Float64 ? Array.Empty<double>() : Array.Empty<long>();
            if (kind is H5Type.Float32 or H5Type.Float64)
            {
                var values = new double[count];
                fixed (double* p = values) H5Check.Ok(H5Native.H5Aread(attr, H5Native.NativeDouble, p), $"reading attribute '{name}'", File, Path);
                return scalar ? values[0] : values;
            }
            var longs = new long[count];
            fixed (long* p = longs) H5Check.Ok(H5Native.H5Aread(attr, H5Native.NativeInt64, p), $"reading attribute '{name}'", File, Path);
            return scalar ? longs[0] : longs;
        }
        finally
        {
            H5Native.H5Sclose(space);
            H5Native.H5Tclose(type);
            H5Native.H5Aclose(attr);
        }
    }

    private void Write<T>(string name, T[] values, bool scalar) where T : unmanaged
    {
        ulong n = (ulong)values.Length;
        long space = scalar ? H5Native.H5Screate_simple(0, null, null) : H5Native.H5Screate_simple(1, &n, null);
        long type = H5Types.Native<T>();
        long attr = H5Check.Id(H5Native.H5Acreate2(Id, name, type, space, H5Native.Default, H5Native.Default), $"creating attribute '{name}'", File, Path);
        try
        {
            // An empty array is a valid attribute with nothing to write (and no buffer to pass).
            if (values.Length > 0)
                fixed (T* p = values) H5Check.Ok(H5Native.H5Awrite(attr, type, p), $"writing attribute '{name}'", File, Path);
        }
        finally
        {
            H5Native.H5Aclose(attr);
            H5Native.H5Sclose(space);
        }
    }

    /// <summary>Variable-length UTF-8, as h5py writes Python strings.</summary>
    private void WriteString(string name, string value)
    {
        long type = H5Native.H5Tcopy(H5Native.CString);
        H5Native.H5Tset_size(type, H5Native.Variable);
        H5Native.H5Tset_cset(type, H5Native.CsetUtf8);
        long space = H5Native.H5Screate_simple(0, null, null);
        long attr = H5Check.Id(H5Native.H5Acreate2(Id, name, type, space, H5Native.Default, H5Native.Default), $"creating attribute '{name}'", File, Path);
        var utf8 = Marshal.StringToCoTaskMemUTF8(value);
        try
        {
            H5Check.Ok(H5Native.H5Awrite(attr, type, &utf8), $"writing attribute '{name}'", File, Path);
        }
        finally
        {
            Marshal.FreeCoTaskMem(utf8);
            H5Native.H5Aclose(attr);
            H5Native.H5Sclose(space);
            H5Native.H5Tclose(type);
        }
    }

    private string ReadString(long attr, long fileType, string name)
    {
        if (H5Native.H5Tis_variable_str(fileType) > 0)
        {
            IntPtr text;
            H5Check.Ok(H5Native.H5Aread(attr, fileType, &text), $"reading attribute '{name}'", File, Path);
            var value = Marshal.PtrToStringUTF8(text) ?? "";
            H5Native.H5free_memory(text);
            return value;
        }
        var bytes = new byte[(int)H5Native.H5Tget_size(fileType)];
        fixed (byte* p = bytes) H5Check.Ok(H5Native.H5Aread(attr, fileType, p), $"reading attribute '{name}'", File, Path);
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0');
    }

    protected abstract int Close(long id);

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        Close(Id);
        GC.SuppressFinalize(this);
    }
}
