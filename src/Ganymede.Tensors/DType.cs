namespace Ganymede;

/// <summary>Element types a tensor can hold. Float32 carries all arithmetic; the others hold labels, indices and masks.</summary>
public enum DType
{
    Float32,
    Int64,
    UInt8,
    Bool,
}

internal static class DTypeExtensions
{
    public static string Name(this DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Int64 => "int64",
        DType.UInt8 => "uint8",
        DType.Bool => "bool",
        _ => dtype.ToString(),
    };
}
