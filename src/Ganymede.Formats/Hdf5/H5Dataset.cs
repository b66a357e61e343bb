namespace Ganymede.Formats.Hdf5;

/// <summary>
/// An n-dimensional dataset. Reads convert to the requested element type in the library (float32 from
/// uint8, say); a hyperslab read takes a block (a batch of slices) without reading the rest of the file.
/// </summary>
public sealed unsafe class H5Dataset : H5Object
{
    internal H5Dataset(long id, string file, string path) : base(id, file, path)
    {
        long space = H5Native.H5Dget_space(id);
        long type = H5Native.H5Dget_type(id);
        try
        {
            Shape = Dims(space);
            Type = H5Types.Classify(type, file, path);
        }
        finally
        {
            H5Native.H5Sclose(space);
            H5Native.H5Tclose(type);
        }
    }

    public long[] Shape { get; }

    public H5Type Type { get; }

    public long Length => Count(Shape);

    internal static H5Dataset Create<T>(H5Group parent, string name, ReadOnlySpan<T> data, long[] shape, long[]? chunks, int gzip) where T : unmanaged
    {
        string path = parent.Join(name);
        if (shape.Any(d => d < 0) || Count(shape) != data.Length)
            throw new ArgumentException($"{parent.File}:{path}: {data.Length} values do not fill shape [{string.Join(", ", shape)}]");
        if (gzip is < 0 or > 9) throw new ArgumentException($"{parent.File}:{path}: gzip level {gzip} is outside 0..9");
        var dims = shape.Select(d => (ulong)d).ToArray();
        long plist = H5Native.H5Pcreate(H5Native.DatasetCreate);
        long space = -1, type = H5Types.Native<T>(), id;
        try
        {
            fixed (ulong* d = dims) space = H5Native.H5Screate_simple(dims.Length, d, null);
            if (chunks is not null || gzip > 0)
            {
                var chunkDims = (chunks ?? DefaultChunks(shape)).Select(c => (ulong)Math.Max(1, c)).ToArray();
                if (chunkDims.Length != shape.Length)
                    throw new ArgumentException($"{parent.File}:{path}: chunk shape [{string.Join(", ", chunkDims)}] has another rank than [{string.Join(", ", shape)}]");
                fixed (ulong* c = chunkDims) H5Check.Ok(H5Native.H5Pset_chunk(plist, chunkDims.Length, c), "setting chunks", parent.File, path);
                if (gzip > 0) H5Check.Ok(H5Native.H5Pset_deflate(plist, (uint)gzip), "setting gzip compression", parent.File, path);
            }
            id = H5Check.Id(H5Native.H5Dcreate2(parent.Id, name, type, space, H5Native.Default, plist, H5Native.Default), $"creating dataset '{name}'", parent.File, parent.Path);
            fixed (T* p = data) H5Check.Ok(H5Native.H5Dwrite(id, type, H5Native.Default, H5Native.Default, H5Native.Default, p), "writing", parent.File, path);
        }
        finally
        {
            if (space >= 0) H5Native.H5Sclose(space);
            H5Native.H5Pclose(plist);
            if (H5Types.NeedsClose(H5Types.Of<T>())) H5Native.H5Tclose(type);
        }
        return new H5Dataset(id, parent.File, path);
    }

    /// <summary>One chunk per leading index (a slice per chunk), the rest whole: what batch reads want.</summary>
    private static long[] DefaultChunks(long[] shape) => shape.Select((d, i) => i == 0 ? 1 : Math.Max(1, d)).ToArray();

    /// <summary>
    /// The elements in row-major order, converted to <typeparamref name="T"/>. With <paramref name="start"/>
    /// and <paramref name="count"/>, only that block (one entry per dimension; omitted trailing dimensions are whole).
    /// </summary>
    public T[] Read<T>(long[]? start = null, long[]? count = null) where T : unmanaged
    {
        var (from, size) = Block(start, count);
        var result = new T[Count(size)];
        if (result.Length == 0) return result;
        long fileSpace = H5Native.H5Dget_space(Id);
        var sizeU = size.Select(s => (ulong)s).ToArray();
        long memSpace;
        // A scalar dataset (rank 0) is read whole, through its own (scalar) dataspace: it has no blocks to select.
        if (sizeU.Length == 0) memSpace = H5Native.H5Dget_space(Id);
        else fixed (ulong* s = sizeU) memSpace = H5Native.H5Screate_simple(sizeU.Length, s, null);
        try
        {
            var fromU = from.Select(s => (ulong)s).ToArray();
            if (sizeU.Length > 0)
                fixed (ulong* f = fromU) fixed (ulong* s = sizeU)
                    H5Check.Ok(H5Native.H5Sselect_hyperslab(fileSpace, H5Native.SelectSet, f, null, s, null), "selecting a block", File, Path);
            if (Type == H5Type.Bool) return ReadBool<T>(memSpace, fileSpace, result.Length);
            long type = H5Types.Native<T>();
            try
            {
                fixed (T* p = result) H5Check.Ok(H5Native.H5Dread(Id, type, memSpace, fileSpace, H5Native.Default, p), $"reading as {H5Types.Of<T>().Name()}", File, Path);
            }
            finally
            {
                if (H5Types.NeedsClose(H5Types.Of<T>())) H5Native.H5Tclose(type);
            }
            return result;
        }
        finally
        {
            H5Native.H5Sclose(memSpace);
            H5Native.H5Sclose(fileSpace);
        }
    }

    /// <summary>The dataset (or a block of it) as a float32 tensor of the block's shape.</summary>
    public Tensor ReadTensor(long[]? start = null, long[]? count = null)
    {
        var (_, size) = Block(start, count);
        return torch.tensor(Read<float>(start, count), size.Select(s => checked((int)s)).ToArray());
    }

    /// <summary>h5py's bools are an int8 enum, which the library will not convert to numbers: read the bytes and convert here.</summary>
    private T[] ReadBool<T>(long memSpace, long fileSpace, int length) where T : unmanaged
    {
        var bytes = new byte[length];
        long fileType = H5Native.H5Dget_type(Id);
        try
        {
            fixed (byte* p = bytes) H5Check.Ok(H5Native.H5Dread(Id, fileType, memSpace, fileSpace, H5Native.Default, p), "reading bool", File, Path);
        }
        finally
        {
            H5Native.H5Tclose(fileType);
        }
        var result = new T[length];
        for (int i = 0; i < length; i++)
            result[i] = typeof(T) == typeof(bool) ? (T)(object)(bytes[i] != 0) : (T)Convert.ChangeType(bytes[i] != 0 ? 1 : 0, typeof(T));
        return result;
    }

    private (long[] Start, long[] Count) Block(long[]? start, long[]? count)
    {
        var from = new long[Shape.Length];
        var size = (long[])Shape.Clone();
        for (int i = 0; i < Shape.Length; i++)
        {
            if (start is not null && i < start.Length) from[i] = start[i];
            if (count is not null && i < count.Length) size[i] = count[i];
            else size[i] = Shape[i] - from[i];
            if (from[i] < 0 || size[i] < 0 || from[i] + size[i] > Shape[i])
                throw new ArgumentOutOfRangeException(nameof(start), $"{File}:{Path}: block start [{string.Join(", ", from)}] count [{string.Join(", ", size)}] is outside shape [{string.Join(", ", Shape)}]");
        }
        if ((start?.Length ?? 0) > Shape.Length || (count?.Length ?? 0) > Shape.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"{File}:{Path}: block has more dimensions than shape [{string.Join(", ", Shape)}]");
        return (from, size);
    }

    internal static long[] Dims(long space)
    {
        int rank = H5Native.H5Sget_simple_extent_ndims(space);
        if (rank <= 0) return [];
        var dims = new ulong[rank];
        fixed (ulong* d = dims) H5Native.H5Sget_simple_extent_dims(space, d, null);
        return dims.Select(d => (long)d).ToArray();
    }

    internal static long Count(long[] shape) => shape.Aggregate(1L, (a, d) => a * d);

    protected override int Close(long id) => H5Native.H5Dclose(id);
}
