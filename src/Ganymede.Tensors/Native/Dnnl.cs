using System.Runtime.InteropServices;

namespace Ganymede.Native;

/// <summary>
/// oneDNN 2.6 C API (Debian libdnnl2). Version 2.x passes descriptors as caller-owned structs, so they
/// appear here as opaque, 8-byte-aligned buffers of the exact sizes of dnnl_types.h (696 and 5976 bytes).
/// Enum values are copied from the same header.
/// </summary>
internal static unsafe partial class Dnnl
{
    [StructLayout(LayoutKind.Sequential)]
    public struct MemoryDesc
    {
        private fixed long _data[87];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct OpDesc
    {
        private fixed long _data[747];
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ExecArg
    {
        public int Arg;
        public IntPtr Memory;
    }

    public const int Success = 0;
    public const int F32 = 3;
    public const int Bf16 = 2;
    public const int EngineCpu = 1;
    public const int StreamDefaultFlags = 1;

    /// <summary>dnnl_scratchpad_mode_user: the caller passes each execution's scratchpad (DNNL_ARG_SCRATCHPAD).</summary>
    public const int ScratchpadModeUser = 1;

    public const int TagAny = 1;
    public const int TagA = 2;
    public const int TagAb = 3;
    public const int TagAbcd = 5;
    public const int TagAbcde = 7;

    /// <summary>NHWC (dnnl_acdb): channels innermost.</summary>
    public const int TagAcdb = 20;

    /// <summary>nChw16c: channels in blocks of 16 (dnnl_aBcd16b).</summary>
    public const int TagABcd16b = 69;

    public const int ForwardTraining = 64;
    public const int ForwardInference = 96;
    public const int BackwardData = 160;
    public const int BackwardWeights = 192;
    public const int Backward = 128;
    public const int ConvolutionDirect = 0x1;
    public const int ConvolutionWinograd = 0x2;
    public const int EltwiseRelu = 0x1f;
    public const int PoolingMax = 0x1ff;

    public const uint UseGlobalStats = 0x1;
    public const uint FuseNormRelu = 0x4;
    public const uint UseScale = 0x8;
    public const uint UseShift = 0x10;

    /// <summary>No query: the argument is always in the plain layout (1-D biases).</summary>
    public const int QueryPlain = 0;
    public const int QuerySrcMd = 129;
    public const int QueryDiffSrcMd = 130;
    public const int QueryWeightsMd = 131;
    public const int QueryDiffWeightsMd = 132;
    public const int QueryDstMd = 133;
    public const int QueryDiffDstMd = 134;
    public const int QueryWorkspaceMd = 135;
    public const int QueryScratchpadMd = 136;

    public const int ArgSrc = 1;
    public const int ArgDst = 17;
    public const int ArgWeights = 33;
    public const int ArgBias = 41;
    public const int ArgDiffSrc = 129;
    public const int ArgDiffDst = 145;
    public const int ArgDiffWeights = 161;
    public const int ArgDiffBias = 169;
    public const int ArgMean = 49;
    public const int ArgVariance = 50;
    public const int ArgScale = 51;
    public const int ArgShift = 52;
    public const int ArgWorkspace = 64;
    public const int ArgScratchpad = 80;
    public const int ArgDiffScale = 255;
    public const int ArgDiffShift = 256;
    public const int ArgFrom = 1;
    public const int ArgTo = 17;

    /// <summary>DNNL_MEMORY_NONE: a memory object whose buffer is attached later, per call.</summary>
    public static readonly IntPtr MemoryNone = IntPtr.Zero;

    /// <summary>dnnl_cpu_isa_avx512_core_bf16: the bits every ISA with AVX-512 bfloat16 instructions has (AMX included).</summary>
    public const int IsaAvx512Bf16 = 0xe7;

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_get_effective_cpu_isa();

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_engine_create(out IntPtr engine, int kind, nuint index);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_stream_create(out IntPtr stream, IntPtr engine, uint flags);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_stream_wait(IntPtr stream);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_desc_init_by_tag(MemoryDesc* md, int ndims, long* dims, int dataType, int tag);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_desc_init_submemory(MemoryDesc* md, MemoryDesc* parent, long* dims, long* offsets);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_desc_equal(MemoryDesc* lhs, MemoryDesc* rhs);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial nuint dnnl_memory_desc_get_size(MemoryDesc* md);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_create(out IntPtr memory, MemoryDesc* md, IntPtr engine, IntPtr handle);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_set_data_handle(IntPtr memory, IntPtr handle);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_memory_destroy(IntPtr memory);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_dilated_convolution_forward_desc_init(OpDesc* desc, int propKind, int algKind,
        MemoryDesc* src, MemoryDesc* weights, MemoryDesc* bias, MemoryDesc* dst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_dilated_convolution_backward_data_desc_init(OpDesc* desc, int algKind,
        MemoryDesc* diffSrc, MemoryDesc* weights, MemoryDesc* diffDst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_dilated_convolution_backward_weights_desc_init(OpDesc* desc, int algKind,
        MemoryDesc* src, MemoryDesc* diffWeights, MemoryDesc* diffBias, MemoryDesc* diffDst,
        long* strides, long* dilates, long* paddingL, long* paddingR);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_batch_normalization_forward_desc_init(OpDesc* desc, int propKind, MemoryDesc* data, float epsilon, uint flags);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_batch_normalization_backward_desc_init(OpDesc* desc, int propKind, MemoryDesc* diffData, MemoryDesc* data, float epsilon, uint flags);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_eltwise_forward_desc_init(OpDesc* desc, int propKind, int algKind, MemoryDesc* data, float alpha, float beta);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_eltwise_backward_desc_init(OpDesc* desc, int algKind, MemoryDesc* diffData, MemoryDesc* data, float alpha, float beta);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_pooling_v2_forward_desc_init(OpDesc* desc, int propKind, int algKind, MemoryDesc* src, MemoryDesc* dst,
        long* strides, long* kernel, long* dilation, long* paddingL, long* paddingR);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_pooling_v2_backward_desc_init(OpDesc* desc, int algKind, MemoryDesc* diffSrc, MemoryDesc* diffDst,
        long* strides, long* kernel, long* dilation, long* paddingL, long* paddingR);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_attr_create(out IntPtr attr);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_attr_set_scratchpad_mode(IntPtr attr, int mode);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_desc_create(out IntPtr pd, void* opDesc, IntPtr attr, IntPtr engine, IntPtr hintForward);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial MemoryDesc* dnnl_primitive_desc_query_md(IntPtr pd, int what, int index);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_desc_destroy(IntPtr pd);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_reorder_primitive_desc_create(out IntPtr pd, MemoryDesc* src, IntPtr srcEngine,
        MemoryDesc* dst, IntPtr dstEngine, IntPtr attr);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_create(out IntPtr primitive, IntPtr pd);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_execute(IntPtr primitive, IntPtr stream, int nargs, ExecArg* args);

    [LibraryImport(NativeLibraries.Dnnl)]
    public static partial int dnnl_primitive_destroy(IntPtr primitive);

    /// <summary>Throws with the failing call's name and status (dnnl_status_t) when it did not succeed.</summary>
    public static void Check(int status, string what)
    {
        if (status == Success) return;
        string meaning = status switch
        {
            1 => "out of memory",
            2 => "invalid arguments",
            3 => "unimplemented (no implementation for these shapes)",
            5 => "runtime error",
            _ => "error",
        };
        throw new InvalidOperationException($"oneDNN {what} failed: status {status} ({meaning})");
    }

    public static MemoryDesc Plain(ReadOnlySpan<long> dims, int tag, int dataType = F32)
    {
        MemoryDesc md;
        fixed (long* d = dims) Check(dnnl_memory_desc_init_by_tag(&md, dims.Length, d, dataType, tag), "memory_desc_init_by_tag");
        return md;
    }

    /// <summary>The plain row-major format tag for a rank (a, ab, abcd, abcde).</summary>
    public static int PlainTag(int rank) => rank switch
    {
        1 => TagA,
        2 => TagAb,
        4 => TagAbcd,
        5 => TagAbcde,
        _ => throw new ArgumentOutOfRangeException(nameof(rank), rank, "unsupported rank for oneDNN memory"),
    };
}
