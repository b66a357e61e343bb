using System.Runtime.InteropServices;

namespace Ganymede.Formats.Hdf5;

/// <summary>An HDF5 call failed; the message names the file, the object and what the library's error stack said.</summary>
public sealed class H5Exception(string message) : IOException(message);

internal static unsafe class H5Check
{
    /// <summary>Returns <paramref name="result"/> when it is not negative, else throws with the error stack's messages.</summary>
    public static long Id(long result, string what, string file, string path)
    {
        if (result < 0) throw Failure(what, file, path);
        return result;
    }

    public static void Ok(int result, string what, string file, string path)
    {
        if (result < 0) throw Failure(what, file, path);
    }

    public static H5Exception Failure(string what, string file, string path)
    {
        var messages = new List<string>();
        var handle = GCHandle.Alloc(messages);
        try
        {
            H5Native.H5Ewalk2(H5Native.Default, H5Native.WalkDownward, &Collect, GCHandle.ToIntPtr(handle));
        }
        finally
        {
            handle.Free();
        }
        H5Native.H5Eclear2(H5Native.Default);
        var detail = messages.Count == 0 ? "no message from the library" : string.Join("; ", messages.Distinct());
        return new H5Exception($"{file}{(path.Length > 0 ? ":" + path : "")}: {what} failed: {detail}");
    }

    [UnmanagedCallersOnly]
    private static int Collect(uint n, H5Native.ErrorRecord* record, IntPtr data)
    {
        var list = (List<string>)GCHandle.FromIntPtr(data).Target!;
        var description = Marshal.PtrToStringUTF8(record->Description);
        var function = Marshal.PtrToStringUTF8(record->FunctionName);
        if (!string.IsNullOrEmpty(description)) list.Add($"{function}: {description}");
        return 0;
    }
}

/// <summary>Collects names from H5Literate / H5Aiterate2 callbacks.</summary>
internal static unsafe class H5Names
{
    public static List<string> Of(long id, bool attributes, string file, string path)
    {
        var names = new List<string>();
        var handle = GCHandle.Alloc(names);
        try
        {
            ulong index = 0;
            int result = attributes
                ? H5Native.H5Aiterate2(id, H5Native.IndexName, H5Native.IterInc, &index, &Add, GCHandle.ToIntPtr(handle))
                : H5Native.H5Literate(id, H5Native.IndexName, H5Native.IterInc, &index, &Add, GCHandle.ToIntPtr(handle));
            H5Check.Ok(result, attributes ? "listing attributes" : "listing members", file, path);
        }
        finally
        {
            handle.Free();
        }
        return names;
    }

    [UnmanagedCallersOnly]
    private static int Add(long id, byte* name, IntPtr info, IntPtr data)
    {
        ((List<string>)GCHandle.FromIntPtr(data).Target!).Add(Marshal.PtrToStringUTF8((IntPtr)name)!);
        return 0;
    }
}
