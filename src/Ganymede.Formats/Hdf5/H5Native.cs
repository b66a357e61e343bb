using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Ganymede.Formats.Hdf5;

/// <summary>
/// The HDF5 1.10 C API (Debian libhdf5-103-1, soname libhdf5_serial.so.103) as far as Ganymede uses it.
/// hid_t is 64-bit in 1.10; negative return values mean failure and leave messages on the error stack.
/// Predefined types and property classes are global variables, valid after H5open.
/// </summary>
internal static unsafe partial class H5Native
{
    private const string Lib = "hdf5";
    private const string Soname = "libhdf5_serial.so.103";
    private static readonly IntPtr Handle;

    /// <summary>
    /// File access without HDF5's flock: the library opens files without close-on-exec, so a process started while
    /// a file is open (a job, a peer) inherits the lock and keeps it after the file is closed and renamed, and
    /// every later open of that file fails as "in use by another process". Writes are atomic renames instead.
    /// </summary>
    public static readonly long FileAccess;

    public const long Default = 0;
    public const uint AccRdOnly = 0, AccRdWr = 1, AccTrunc = 2, AccExcl = 4;
    public const int IndexName = 0, IterInc = 0, WalkDownward = 1, SelectSet = 0;
    public const int ClassInteger = 0, ClassFloat = 1, ClassString = 3, ClassEnum = 8;
    public const int TypeGroup = 2, TypeDataset = 5;
    public const int CsetUtf8 = 1;
    public static readonly nuint Variable = nuint.MaxValue;

    static H5Native()
    {
        if (!NativeLibrary.TryLoad(Soname, out Handle))
            throw new DllNotFoundException($"native library {Soname} was not found: install the Debian package libhdf5-103-1 (apt-get install libhdf5-103-1)");
        NativeLibrary.SetDllImportResolver(typeof(H5Native).Assembly, (name, _, _) => name == Lib ? Handle : IntPtr.Zero);
        if (H5open() < 0) throw new InvalidOperationException("HDF5: H5open failed");
        // Errors become exceptions with the stack's messages; the library must not print them itself.
        H5Eset_auto2(Default, IntPtr.Zero, IntPtr.Zero);
        FileAccess = H5Pcreate(Global("H5P_CLS_FILE_ACCESS_ID_g"));
        if (FileAccess < 0 || H5Pset_file_locking(FileAccess, 0, 1) < 0) throw new InvalidOperationException("HDF5: could not turn file locking off");
    }

    /// <summary>Forces the static constructor (library load and H5open) before the first call.</summary>
    public static void EnsureLoaded() => RuntimeHelpers.RunClassConstructor(typeof(H5Native).TypeHandle);

    private static long Global(string name) => *(long*)NativeLibrary.GetExport(Handle, name);

    public static long NativeInt8 => Global("H5T_NATIVE_SCHAR_g");
    public static long NativeUInt8 => Global("H5T_NATIVE_UCHAR_g");
    public static long NativeInt16 => Global("H5T_NATIVE_SHORT_g");
    public static long NativeUInt16 => Global("H5T_NATIVE_USHORT_g");
    public static long NativeInt32 => Global("H5T_NATIVE_INT_g");
    public static long NativeUInt32 => Global("H5T_NATIVE_UINT_g");
    public static long NativeInt64 => Global("H5T_NATIVE_LLONG_g");
    public static long NativeUInt64 => Global("H5T_NATIVE_ULLONG_g");
    public static long NativeFloat => Global("H5T_NATIVE_FLOAT_g");
    public static long NativeDouble => Global("H5T_NATIVE_DOUBLE_g");
    public static long CString => Global("H5T_C_S1_g");
    public static long DatasetCreate => Global("H5P_CLS_DATASET_CREATE_ID_g");

    [LibraryImport(Lib)] public static partial int H5open();
    [LibraryImport(Lib)] public static partial int H5Eset_auto2(long stack, IntPtr func, IntPtr data);
    [LibraryImport(Lib)] public static partial int H5Ewalk2(long stack, int direction, delegate* unmanaged<uint, ErrorRecord*, IntPtr, int> func, IntPtr data);
    [LibraryImport(Lib)] public static partial int H5Eclear2(long stack);
    [LibraryImport(Lib)] public static partial int H5free_memory(IntPtr buffer);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Fcreate(string name, uint flags, long fcpl, long fapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Fopen(string name, uint flags, long fapl);
    [LibraryImport(Lib)] public static partial int H5Fclose(long file);
    [LibraryImport(Lib)] public static partial int H5Fflush(long obj, int scope);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Gcreate2(long loc, string name, long lcpl, long gcpl, long gapl);
    [LibraryImport(Lib)] public static partial int H5Gclose(long group);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Oopen(long loc, string name, long lapl);
    [LibraryImport(Lib)] public static partial int H5Oclose(long obj);
    [LibraryImport(Lib)] public static partial int H5Iget_type(long id);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int H5Lexists(long loc, string name, long lapl);
    [LibraryImport(Lib)] public static partial int H5Literate(long group, int indexType, int order, ulong* index, delegate* unmanaged<long, byte*, IntPtr, IntPtr, int> op, IntPtr data);

    [LibraryImport(Lib)] public static partial long H5Screate_simple(int rank, ulong* dims, ulong* maxdims);
    [LibraryImport(Lib)] public static partial int H5Sget_simple_extent_ndims(long space);
    [LibraryImport(Lib)] public static partial int H5Sget_simple_extent_dims(long space, ulong* dims, ulong* maxdims);
    [LibraryImport(Lib)] public static partial int H5Sselect_hyperslab(long space, int op, ulong* start, ulong* stride, ulong* count, ulong* block);
    [LibraryImport(Lib)] public static partial int H5Sclose(long space);

    [LibraryImport(Lib)] public static partial long H5Pcreate(long cls);
    [LibraryImport(Lib)] public static partial int H5Pset_chunk(long plist, int rank, ulong* dims);
    [LibraryImport(Lib)] public static partial int H5Pset_deflate(long plist, uint level);
    [LibraryImport(Lib)] public static partial int H5Pclose(long plist);
    [LibraryImport(Lib)] public static partial int H5Pset_file_locking(long fapl, byte useFileLocking, byte ignoreWhenDisabled);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Dcreate2(long loc, string name, long type, long space, long lcpl, long dcpl, long dapl);
    [LibraryImport(Lib)] public static partial long H5Dget_space(long dataset);
    [LibraryImport(Lib)] public static partial long H5Dget_type(long dataset);
    [LibraryImport(Lib)] public static partial int H5Dread(long dataset, long memType, long memSpace, long fileSpace, long xfer, void* buffer);
    [LibraryImport(Lib)] public static partial int H5Dwrite(long dataset, long memType, long memSpace, long fileSpace, long xfer, void* buffer);
    [LibraryImport(Lib)] public static partial int H5Dclose(long dataset);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Acreate2(long loc, string name, long type, long space, long acpl, long aapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial long H5Aopen(long obj, string name, long aapl);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int H5Aexists(long obj, string name);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int H5Adelete(long obj, string name);
    [LibraryImport(Lib)] public static partial long H5Aget_space(long attr);
    [LibraryImport(Lib)] public static partial long H5Aget_type(long attr);
    [LibraryImport(Lib)] public static partial int H5Aread(long attr, long memType, void* buffer);
    [LibraryImport(Lib)] public static partial int H5Awrite(long attr, long memType, void* buffer);
    [LibraryImport(Lib)] public static partial int H5Aclose(long attr);
    [LibraryImport(Lib)] public static partial int H5Aiterate2(long obj, int indexType, int order, ulong* index, delegate* unmanaged<long, byte*, IntPtr, IntPtr, int> op, IntPtr data);

    [LibraryImport(Lib)] public static partial long H5Tcopy(long type);
    [LibraryImport(Lib)] public static partial long H5Tenum_create(long baseType);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int H5Tenum_insert(long type, string name, void* value);
    [LibraryImport(Lib)] public static partial int H5Tset_size(long type, nuint size);
    [LibraryImport(Lib)] public static partial int H5Tset_cset(long type, int cset);
    [LibraryImport(Lib)] public static partial int H5Tget_class(long type);
    [LibraryImport(Lib)] public static partial nuint H5Tget_size(long type);
    [LibraryImport(Lib)] public static partial int H5Tget_sign(long type);
    [LibraryImport(Lib)] public static partial int H5Tis_variable_str(long type);
    [LibraryImport(Lib)] public static partial long H5Tget_super(long type);
    [LibraryImport(Lib)] public static partial int H5Tclose(long type);

    /// <summary>H5E_error2_t.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct ErrorRecord
    {
        public long ClassId;
        public long Major;
        public long Minor;
        public uint Line;
        public IntPtr FunctionName;
        public IntPtr FileName;
        public IntPtr Description;
    }
}
