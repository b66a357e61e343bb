namespace Ganymede.Client;

/// <summary>
/// The history a notebook session was started from, as the original system's galaxy-ie-helpers give it: Get copies
/// one of its datasets into the session's inputs/ folder, Put stores a file as a new dataset of it. In a session the
/// server names the history and the folder (GANYMEDE_HISTORY_ID, GANYMEDE_INPUTS); elsewhere set them yourself.
/// </summary>
public sealed class SessionHistory(GanymedeClient client, string historyId, string inputsDirectory)
{
    /// <summary>The history and folder the environment names, through <paramref name="client"/>.</summary>
    public static SessionHistory FromEnvironment(GanymedeClient client)
    {
        var id = Environment.GetEnvironmentVariable("GANYMEDE_HISTORY_ID") ?? Environment.GetEnvironmentVariable("HISTORY_ID");
        if (string.IsNullOrEmpty(id))
            throw new InvalidOperationException("History is the history of a notebook session; elsewhere set GANYMEDE_HISTORY_ID to a history's id");
        return new SessionHistory(client, id, Environment.GetEnvironmentVariable("GANYMEDE_INPUTS") ?? "inputs");
    }

    public string Id => historyId;

    /// <summary>The history's datasets (not deleted), in order.</summary>
    public List<Dataset> Datasets => client.ListContentsAsync(historyId).GetAwaiter().GetResult().Where(d => !d.Deleted).ToList();

    /// <summary>Copies the dataset numbered <paramref name="hid"/> into inputs/ and returns its path.</summary>
    public string Get(long hid) => GetAsync(hid).GetAwaiter().GetResult();

    /// <summary>Copies the newest dataset named <paramref name="name"/> into inputs/ and returns its path.</summary>
    public string Get(string name) => GetAsync(name).GetAwaiter().GetResult();

    public Task<string> GetAsync(long hid, CancellationToken cancel = default) => GetAsync(d => d.Hid == hid, $"number {hid}", cancel);

    public Task<string> GetAsync(string name, CancellationToken cancel = default) => GetAsync(d => d.Name == name, $"name '{name}'", cancel);

    /// <summary>
    /// Stores <paramref name="path"/> as a new dataset of the history, its type detected unless <paramref name="type"/>
    /// names one, and waits until the server has taken it in; a file it refuses is an error with its reason.
    /// </summary>
    public Dataset Put(string path, string? name = null, string type = "auto") => PutAsync(path, name, type).GetAwaiter().GetResult();

    public async Task<Dataset> PutAsync(string path, string? name = null, string type = "auto", CancellationToken cancel = default)
    {
        var uploaded = await client.UploadAsync(historyId, path, name, type, cancel: cancel);
        var dataset = await client.WaitForDatasetAsync(uploaded.Id, TimeSpan.FromHours(1), cancel);
        if (dataset.State != DatasetStates.Ok)
            throw new InvalidOperationException($"{path} was not stored: {dataset.MiscInfo ?? dataset.State}");
        return dataset;
    }

    private async Task<string> GetAsync(Func<Dataset, bool> match, string what, CancellationToken cancel)
    {
        var datasets = (await client.ListContentsAsync(historyId, cancel)).Where(d => !d.Deleted).ToList();
        var dataset = datasets.Where(match).MaxBy(d => d.Hid)
            ?? throw new KeyNotFoundException($"the history has no dataset with {what}; it has {(datasets.Count == 0 ? "none" : string.Join(", ", datasets.Select(d => $"{d.Hid}: {d.Name}")))}");
        if (dataset.State != DatasetStates.Ok) throw new InvalidOperationException($"dataset {dataset.Hid} ({dataset.Name}) is {dataset.State}, not ok");
        Directory.CreateDirectory(inputsDirectory);
        var target = Path.Combine(inputsDirectory, FileName(dataset));
        await client.DownloadAsync(dataset.Id, target, cancel: cancel);
        return target;
    }

    /// <summary>The dataset's name as a file name, ending in its type's extension (readers choose the format by it).</summary>
    private static string FileName(Dataset d)
    {
        var name = new string(d.Name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_').ToArray()).TrimStart('.');
        if (name.Length == 0) name = "dataset";
        return d.Type is "data" or "" || name.EndsWith("." + d.Type, StringComparison.OrdinalIgnoreCase) ? name : name + "." + d.Type;
    }
}
