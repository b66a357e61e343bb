using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Ganymede.Native;

/// <summary>
/// Finds the native libraries by their Debian sonames and prepares the process environment before they
/// load. A missing library becomes an error that names the Debian package to install.
/// </summary>
internal static partial class NativeLibraries
{
    public const string OpenBlas = "openblas";
    public const string Dnnl = "dnnl";

    private static readonly (string Name, string Soname, string Package)[] Known =
    [
        (OpenBlas, "libopenblas.so.0", "libopenblas0-pthread"),
        (Dnnl, "libdnnl.so.2", "libdnnl2"),
    ];

    private static int _initialized;

    /// <summary>Installs the resolver and fixes the environment; safe to call many times.</summary>
    public static void Initialize()
    {
        if (Interlocked.Exchange(ref _initialized, 1) == 1) return;
        PrepareOpenBlasEnvironment();
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
    }

    /// <summary>Tries to load every native library; returns the first failure's message, or null when all load.</summary>
    public static string? Probe()
    {
        Initialize();
        foreach (var (_, soname, package) in Known)
            if (!NativeLibrary.TryLoad(soname, out _))
                return MissingMessage(soname, package);
        return null;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        foreach (var (known, soname, package) in Known)
        {
            if (name != known) continue;
            if (NativeLibrary.TryLoad(soname, out var handle)) return handle;
            throw new DllNotFoundException(MissingMessage(soname, package));
        }
        return IntPtr.Zero;
    }

    private static string MissingMessage(string soname, string package) =>
        $"native library {soname} was not found: install the Debian package {package} (apt-get install {package}), " +
        "or select the managed backend with --backend reference or GANYMEDE_BACKEND=reference";

    /// <summary>
    /// OpenBLAS reads OPENBLAS_CORETYPE once, when it loads. This workplace exports Haswell (AVX2), which
    /// halves sgemm on AVX-512 hosts; Environment.SetEnvironmentVariable would not reach getenv(3), so
    /// the variable is removed from the native environment through libc before the first BLAS call, and from the
    /// environment child processes inherit. This is the one place that handles it: every process that computes
    /// (command line, server jobs, kernel, tests) loads the engine, so scripts and launchers leave it alone.
    /// </summary>
    private static void PrepareOpenBlasEnvironment()
    {
        if (!Avx512F.IsSupported) return;
        var value = Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE");
        if (value is null || value.Contains("avx512", StringComparison.OrdinalIgnoreCase) ||
            value.Equals("SkylakeX", StringComparison.OrdinalIgnoreCase) || value.Equals("Cooperlake", StringComparison.OrdinalIgnoreCase))
            return;
        _ = unsetenv("OPENBLAS_CORETYPE");
        Environment.SetEnvironmentVariable("OPENBLAS_CORETYPE", null);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int unsetenv(string name);

}
