namespace Ganymede.Formats.Hdf5;

/// <summary>
/// An HDF5 file, whose root group it is. <see cref="Create"/> writes to a temporary name beside the target
/// and <see cref="Commit"/> renames it into place, so a crash or an exception never leaves half a file where
/// a good one was; disposing an uncommitted file deletes the temporary.
/// </summary>
public sealed class H5File : H5Group
{
    private readonly string? _temporary;
    private bool _open = true;

    private H5File(long id, string path, string? temporary) : base(id, path, "/") => _temporary = temporary;

    public static H5File Open(string path, bool writable = false)
    {
        H5Native.EnsureLoaded();
        if (!System.IO.File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        long id = H5Native.H5Fopen(path, writable ? H5Native.AccRdWr : H5Native.AccRdOnly, H5Native.FileAccess);
        if (id < 0) throw H5Check.Failure("opening as HDF5 (is it an HDF5 file, and complete?)", path, "");
        return new H5File(id, path, null);
    }

    public static H5File Create(string path)
    {
        H5Native.EnsureLoaded();
        var temporary = Ganymede.IO.AtomicFile.TemporaryFor(path);
        long id = H5Check.Id(H5Native.H5Fcreate(temporary, H5Native.AccExcl, H5Native.Default, H5Native.FileAccess), "creating", path, "");
        return new H5File(id, path, temporary);
    }

    /// <summary>Closes the file and moves it to its final name (files from <see cref="Create"/>); only then is it visible.</summary>
    public void Commit()
    {
        if (_temporary is null) throw new InvalidOperationException($"{File}: only files made with H5File.Create are committed");
        // Objects the caller left open would delay the close; flushing first puts every byte on disk before the rename.
        H5Check.Ok(H5Native.H5Fflush(Id, 1), "flushing", File, "");
        CloseFile();
        System.IO.File.Move(_temporary, File, overwrite: true);
    }

    private void CloseFile()
    {
        if (!_open) return;
        _open = false;
        H5Check.Ok(H5Native.H5Fclose(Id), "closing", File, "");
    }

    protected override int Close(long id)
    {
        if (_open)
        {
            _open = false;
            H5Native.H5Fclose(id);
        }
        if (_temporary is not null && System.IO.File.Exists(_temporary)) System.IO.File.Delete(_temporary);
        return 0;
    }
}
