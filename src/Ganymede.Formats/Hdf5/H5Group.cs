namespace Ganymede.Formats.Hdf5;

/// <summary>A group: named members (groups and datasets), created and opened by path.</summary>
public class H5Group : H5Object
{
    internal H5Group(long id, string file, string path) : base(id, file, path) { }

    /// <summary>Member names, in name order.</summary>
    public IReadOnlyList<string> Keys => H5Names.Of(Id, attributes: false, File, Path);

    public bool Contains(string name) => Exists(name);

    private bool Exists(string path)
    {
        // H5Lexists fails on a missing intermediate group, so every prefix is checked in turn.
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (int i = 1; i <= parts.Length; i++)
            if (H5Native.H5Lexists(Id, string.Join('/', parts[..i]), H5Native.Default) <= 0) return false;
        return parts.Length > 0;
    }

    public H5Group CreateGroup(string name)
    {
        long id = H5Check.Id(H5Native.H5Gcreate2(Id, name, H5Native.Default, H5Native.Default, H5Native.Default), $"creating group '{name}'", File, Path);
        return new H5Group(id, File, Join(name));
    }

    public H5Group Group(string name)
    {
        var (id, kind) = OpenMember(name);
        if (kind == H5Native.TypeGroup) return new H5Group(id, File, Join(name));
        H5Native.H5Oclose(id);
        throw new H5Exception($"{File}:{Join(name)}: is not a group");
    }

    public H5Dataset Dataset(string name)
    {
        var (id, kind) = OpenMember(name);
        if (kind == H5Native.TypeDataset) return new H5Dataset(id, File, Join(name));
        H5Native.H5Oclose(id);
        throw new H5Exception($"{File}:{Join(name)}: is not a dataset");
    }

    /// <summary>Whether the member at <paramref name="name"/> is a dataset (false for groups and missing names).</summary>
    public bool IsDataset(string name)
    {
        if (!Exists(name)) return false;
        var (id, kind) = OpenMember(name);
        H5Native.H5Oclose(id);
        return kind == H5Native.TypeDataset;
    }

    /// <summary>Writes an n-dimensional array; optional chunk shape and gzip level (1-9) as h5py's chunks= and compression_opts=.</summary>
    public H5Dataset CreateDataset<T>(string name, ReadOnlySpan<T> data, long[] shape, long[]? chunks = null, int gzip = 0) where T : unmanaged =>
        H5Dataset.Create(this, name, data, shape, chunks, gzip);

    /// <summary>Writes a tensor as float32 (the element type of Ganymede's tensors).</summary>
    public H5Dataset CreateDataset(string name, Tensor tensor, long[]? chunks = null, int gzip = 0) =>
        CreateDataset<float>(name, tensor.ToArray(), tensor.shape.Select(d => (long)d).ToArray(), chunks, gzip);

    private (long Id, int Kind) OpenMember(string name)
    {
        if (!Exists(name)) throw new KeyNotFoundException($"{File}:{Join(name)}: no such group or dataset");
        long id = H5Check.Id(H5Native.H5Oopen(Id, name, H5Native.Default), $"opening '{name}'", File, Path);
        return (id, H5Native.H5Iget_type(id));
    }

    internal string Join(string name) => Path == "/" ? "/" + name.TrimStart('/') : Path + "/" + name.TrimStart('/');

    protected override int Close(long id) => H5Native.H5Oclose(id);
}
