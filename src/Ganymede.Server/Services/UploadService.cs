using System.Text;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// Turns a complete uploaded file into a dataset: the upload tools' jobs (upload1, __DATA_FETCH__) run here,
/// inside the request, because the bytes are already on disk when it arrives. The dataset appears in state
/// "upload" only once its file is whole, and is ok once the file is in place and described.
/// </summary>
public sealed class UploadService(DatasetStore datasets, JobStore jobs, FileStore files, FileInspector inspector, Quotas quotas, Jobs.JobHandler handler)
{
    private static readonly string[] LineTypes = ["txt", "csv", "tabular", "csx", "json"];

    public (DatasetRecord Dataset, JobRecord Job) Store(UserRecord user, HistoryRecord history, string completeFile, string sha256,
        string name, string? fileType, string toolId, bool toPosixLines, bool spaceToTab, string genomeBuild = "?")
    {
        try
        {
            name = CheckName(name);
            DatasetService.CheckGenomeBuild(genomeBuild);
            quotas.CheckStorage(user, new FileInfo(completeFile).Length);
        }
        catch (ApiException)
        {
            File.Delete(completeFile);
            throw;
        }
        var job = jobs.Create(new JobRecord
        {
            UserId = user.Id, HistoryId = history.Id, ToolId = toolId, ToolVersion = "1.1.7", State = JobStates.Running, Handler = handler.Name,
            Params = System.Text.Json.JsonSerializer.Serialize(new { file_type = fileType ?? "auto", name }),
        });
        var dataset = datasets.Create(history.Id, user.Id, name, "data", DatasetStates.Upload, job.Id, name);
        jobs.SetOutputs(job.Id, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, long> { ["output0"] = dataset.Id }));
        try
        {
            var facts = inspector.Inspect(completeFile, name, fileType, new FileInfo(completeFile).Length, sha256);
            if (LineTypes.Contains(facts.Extension) && (toPosixLines || spaceToTab) && Rewrite(completeFile, toPosixLines, spaceToTab) is { } rewritten)
                facts = inspector.Inspect(rewritten, name, facts.Extension, new FileInfo(rewritten).Length, FileStore.Sha256Of(rewritten));
            files.CommitDataset(completeFile, dataset.Id);
            if (genomeBuild != "?") datasets.Describe(dataset.Id, null, genomeBuild, null);
            datasets.Complete(dataset.Id, facts, facts.Size == 0 ? DatasetStates.Empty : DatasetStates.Ok);
            jobs.Transition(job.Id, JobStates.Running, JobStates.Ok, exitCode: 0);
        }
        catch (Exception e)
        {
            datasets.SetState(dataset.Id, DatasetStates.Error, "upload failed: " + e.Message);
            jobs.Transition(job.Id, JobStates.Running, JobStates.Error, exitCode: 1, info: e.Message);
            if (File.Exists(completeFile)) File.Delete(completeFile);
            throw;
        }
        return (datasets.Get(dataset.Id)!, jobs.Get(job.Id)!);
    }

    /// <summary>Pasted text as a temporary file for <see cref="Store"/>.</summary>
    public (string Path, string Sha256, string Name) Pasted(string content)
    {
        DiskSpace.EnsureRoom(files.Temporary, Encoding.UTF8.GetByteCount(content));
        var path = files.NewTemporaryPath();
        try
        {
            File.WriteAllText(path, content, new UTF8Encoding(false));
        }
        catch (IOException)
        {
            File.Delete(path);
            throw;
        }
        return (path, FileStore.Sha256Of(path), "Pasted Entry");
    }

    /// <summary>Galaxy's upload fetches pasted URLs; this server never fetches from the network, and says so.</summary>
    public static void RefuseUrls(string paste)
    {
        if (paste.Split('\n', StringSplitOptions.RemoveEmptyEntries).All(l => Uri.TryCreate(l.Trim(), UriKind.Absolute, out var u) && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ftp")))
            throw ApiException.BadRequest("this server does not fetch URLs; upload the file itself");
    }

    /// <summary>A dataset name from a client: a file name, never a path, without control characters.</summary>
    public static string CheckName(string name)
    {
        if (name.Any(char.IsControl)) throw ApiException.BadRequest("the file name contains control characters (NUL, newline, ...)");
        if (name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name is "." or "..")
            throw ApiException.BadRequest($"file name '{name}' must be a name, not a path");
        if (name.Length > 255) throw ApiException.BadRequest("file name longer than 255 characters");
        return name.Length == 0 ? "Pasted Entry" : name;
    }

    /// <summary>
    /// Galaxy's text conversions, streamed (constant memory): Windows and old Mac line ends to '\n' and a last line
    /// ended, runs of spaces to one tab. Returns the converted file, or null when nothing changed.
    /// </summary>
    private string? Rewrite(string path, bool toPosixLines, bool spaceToTab)
    {
        var output = files.NewTemporaryPath();
        bool changed = false;
        using (var reader = new StreamReader(path, Encoding.UTF8))
        using (var writer = new StreamWriter(output, false, new UTF8Encoding(false)))
        {
            int c, last = -1;
            bool inSpaces = false;
            while ((c = reader.Read()) >= 0)
            {
                last = c;
                if (toPosixLines && c == '\r')
                {
                    if (reader.Peek() == '\n') reader.Read();
                    c = '\n';
                    changed = true;
                }
                if (spaceToTab && c == ' ')
                {
                    if (!inSpaces) writer.Write('\t');
                    inSpaces = changed = true;
                    continue;
                }
                inSpaces = false;
                writer.Write((char)c);
            }
            if (toPosixLines && last is not (-1 or '\n' or '\r'))
            {
                writer.Write('\n');
                changed = true;
            }
        }
        if (!changed)
        {
            File.Delete(output);
            return null;
        }
        File.Move(output, path, overwrite: true);
        return path;
    }
}
