namespace Ganymede.Formats.Hdf5;

/// <summary>Element types of datasets and attributes, as h5py names them.</summary>
public enum H5Type
{
    Float32, Float64, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Bool, String,
}

internal static class H5Types
{
    /// <summary>The native HDF5 type for a .NET element type.</summary>
    public static long Native<T>() where T : unmanaged => Native(Of<T>());

    public static H5Type Of<T>() where T : unmanaged => default(T) switch
    {
        float => H5Type.Float32,
        double => H5Type.Float64,
        sbyte => H5Type.Int8,
        short => H5Type.Int16,
        int => H5Type.Int32,
        long => H5Type.Int64,
        byte => H5Type.UInt8,
        ushort => H5Type.UInt16,
        uint => H5Type.UInt32,
        ulong => H5Type.UInt64,
        bool => H5Type.Bool,
        _ => throw new NotSupportedException($"HDF5: element type {typeof(T).Name} is not supported"),
    };

    /// <summary>A type id; for Bool a new enum type {FALSE = 0, TRUE = 1} over int8, as h5py writes (the caller closes it).</summary>
    public static long Native(H5Type type) => type switch
    {
        H5Type.Float32 => H5Native.NativeFloat,
        H5Type.Float64 => H5Native.NativeDouble,
        H5Type.Int8 => H5Native.NativeInt8,
        H5Type.Int16 => H5Native.NativeInt16,
        H5Type.Int32 => H5Native.NativeInt32,
        H5Type.Int64 => H5Native.NativeInt64,
        H5Type.UInt8 => H5Native.NativeUInt8,
        H5Type.UInt16 => H5Native.NativeUInt16,
        H5Type.UInt32 => H5Native.NativeUInt32,
        H5Type.UInt64 => H5Native.NativeUInt64,
        H5Type.Bool => BoolEnum(),
        _ => throw new NotSupportedException($"HDF5: no native type for {type}"),
    };

    public static bool NeedsClose(H5Type type) => type == H5Type.Bool;

    private static unsafe long BoolEnum()
    {
        long t = H5Native.H5Tenum_create(H5Native.NativeInt8);
        sbyte no = 0, yes = 1;
        H5Native.H5Tenum_insert(t, "FALSE", &no);
        H5Native.H5Tenum_insert(t, "TRUE", &yes);
        return t;
    }

    /// <summary>What a file type holds, from its class, size and sign.</summary>
    public static H5Type Classify(long type, string file, string path)
    {
        int cls = H5Native.H5Tget_class(type);
        int size = (int)H5Native.H5Tget_size(type);
        bool signed = H5Native.H5Tget_sign(type) == 1;
        return (cls, size, signed) switch
        {
            (H5Native.ClassFloat, 4, _) => H5Type.Float32,
            (H5Native.ClassFloat, 8, _) => H5Type.Float64,
            (H5Native.ClassInteger, 1, true) => H5Type.Int8,
            (H5Native.ClassInteger, 2, true) => H5Type.Int16,
            (H5Native.ClassInteger, 4, true) => H5Type.Int32,
            (H5Native.ClassInteger, 8, true) => H5Type.Int64,
            (H5Native.ClassInteger, 1, false) => H5Type.UInt8,
            (H5Native.ClassInteger, 2, false) => H5Type.UInt16,
            (H5Native.ClassInteger, 4, false) => H5Type.UInt32,
            (H5Native.ClassInteger, 8, false) => H5Type.UInt64,
            (H5Native.ClassEnum, 1, _) => H5Type.Bool,
            (H5Native.ClassString, _, _) => H5Type.String,
            _ => throw new H5Exception($"{file}:{path}: unsupported HDF5 type (class {cls}, {size} bytes)"),
        };
    }
}

public static class H5TypeExtensions
{
    /// <summary>h5py's name for the type ("float32", "uint8", "bool", ...).</summary>
    public static string Name(this H5Type type) => type.ToString().ToLowerInvariant();
}
