using System.Runtime.InteropServices;

namespace Ganymede.Native;

/// <summary>The few OpenBLAS entry points the engine uses (Debian libopenblas0-pthread).</summary>
internal static unsafe partial class OpenBlas
{
    public const int RowMajor = 101;
    public const int NoTrans = 111;
    public const int Trans = 112;

    [LibraryImport(NativeLibraries.OpenBlas)]
    public static partial void cblas_sgemm(int order, int transA, int transB, int m, int n, int k,
        float alpha, float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(NativeLibraries.OpenBlas)]
    public static partial void openblas_set_num_threads(int threads);

    [LibraryImport(NativeLibraries.OpenBlas)]
    public static partial int openblas_get_num_threads();

    [LibraryImport(NativeLibraries.OpenBlas)]
    private static partial IntPtr openblas_get_corename();

    [LibraryImport(NativeLibraries.OpenBlas)]
    public static partial int openblas_get_parallel();

    /// <summary>The kernel family OpenBLAS picked at load time, e.g. "Cooperlake" (AVX-512) or "Haswell" (AVX2).</summary>
    public static string CoreName => Marshal.PtrToStringUTF8(openblas_get_corename()) ?? "unknown";
}
