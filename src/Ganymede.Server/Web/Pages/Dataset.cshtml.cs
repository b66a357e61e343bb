using System.Text.Json.Nodes;
using Ganymede.Server.Api;
using Microsoft.Extensions.Logging;
using Ganymede.Server.Services.Previews;
using Ganymede.Server.Storage;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Ganymede.Server.Web.Pages;

/// <summary>
/// A dataset shown as what it is: an H5 tree with pictures of its images, a PNG, a NIfTI volume in a slice viewer
/// with a mask from the same history over it, an ONNX model card, a sortable table, training curves, a notebook read
/// only, or the text itself. What the file holds is untrusted: a view that cannot read it says why and offers the download.
/// </summary>
public sealed class DatasetModel(UserStore users, HistoryStore histories, DatasetStore datasets, Services.DatasetService datasetService, Services.SharingService sharing,
    FileStore files, Access access, IdCodec ids, NiftiSlices slices, ILogger<DatasetModel> log) : PageModel
{
    public DatasetRecord Dataset { get; private set; } = null!;
    public HistoryRecord? History { get; private set; }
    public IReadOnlyList<H5Node>? H5 { get; private set; }
    public VolumeFacts? Volume { get; private set; }
    /// <summary>The history's other NIfTI datasets with the volume's geometry: masks to lay over it.</summary>
    public IReadOnlyList<DatasetRecord> Masks { get; private set; } = [];
    public string? MaskId { get; private set; }
    public OnnxCard? Onnx { get; private set; }
    public TablePreview? Table { get; private set; }
    public TrainingMetrics? Metrics { get; private set; }
    public (string Language, IReadOnlyList<NotebookCell> Cells)? Notebook { get; private set; }
    public string? Text { get; private set; }
    public string? Problem { get; private set; }

    public string Id(long id) => ids.Encode(id);
    /// <summary>The signed-in user's own dataset, which they may change; another's is shown read-only (shared or published).</summary>
    public bool Mine => Dataset.UserId == Me.Id;
    public bool Readable => Dataset.State is DatasetStates.Ok && !Dataset.Purged && System.IO.File.Exists(Path);
    private string Path => files.DatasetPath(Dataset.Id);
    private const int MaxTextBytes = 256 << 10;

    public void OnGet(string id, string? mask)
    {
        Load(id);
        if (!Readable) return;
        try
        {
            switch (Dataset.Extension)
            {
                case "h5": H5 = H5Preview.Tree(Path); break;
                case "nii" or "nii.gz":
                    Volume = slices.Facts(Path);
                    Masks = datasets.ListByHistory(Dataset.HistoryId, deleted: false, visible: true)
                        .Where(d => d.Id != Dataset.Id && d.Extension is "nii" or "nii.gz" && d.State == DatasetStates.Ok && SameGeometry(d) && sharing.MayRead(Me, d)).ToList();
                    MaskId = Masks.FirstOrDefault(m => Id(m.Id) == mask) is { } chosen ? Id(chosen.Id) : null;
                    break;
                case "onnx": Onnx = OnnxCard.Read(Path); break;
                case "csv" or "tabular":
                    Metrics = TrainingMetrics.Read(Path);
                    Table = TablePreview.Read(Path, Dataset.Extension == "csv" ? ',' : '\t');
                    break;
                case "ipynb": Notebook = NotebookPreview.Read(Path); break;
                case "txt" or "csx" or "json":
                    Metrics = TrainingMetrics.Read(Path);
                    Text = ReadText();
                    break;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException or System.Text.Json.JsonException or Formats.Hdf5.H5Exception or ShapeException or ApiException)
        {
            log.LogInformation("dataset {Id} cannot be shown: {Message}", id, e.Message);
            Problem = $"This {Dataset.Extension} file cannot be shown: {e.Message}";
        }
    }

    /// <summary>The first image of an array in an H5 dataset, as a PNG.</summary>
    public IActionResult OnGetImage(string id, string path)
    {
        Load(id);
        return Picture(() => H5Preview.FirstImage(Path, path));
    }

    /// <summary>One slice of a NIfTI volume through a window, with a mask from the same history over it.</summary>
    public IActionResult OnGetSlice(string id, int k, float? level, float? width, string? mask)
    {
        Load(id);
        string? maskPath = null;
        if (!string.IsNullOrEmpty(mask))
        {
            var m = access.ReadableDataset(Me, mask);
            if (m.HistoryId != Dataset.HistoryId) throw ApiException.BadRequest("the mask must be a dataset of the same history");
            maskPath = files.DatasetPath(m.Id);
        }
        return Picture(() => slices.Render(Path, k, level, width, maskPath));
    }

    /// <summary>Replaces the dataset's tags (comma-separated), as the API's tags do.</summary>
    public IActionResult OnPostTags(string id, string? tags)
    {
        Load(id);
        if (!Mine) throw ApiException.Forbidden($"dataset {id} belongs to another user");
        try
        {
            datasetService.Update(Dataset, new Services.DatasetChange(Tags: (tags ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)));
        }
        catch (ApiException e) when (e.Status == 400)
        {
            Problem = WebPages.Sentence(e.Message);
            Response.StatusCode = 400;
            return Page();
        }
        return Redirect("/datasets/" + id);
    }

    /// <summary>A PNG dataset itself, as an image (the download sends it as a file).</summary>
    public IActionResult OnGetPng(string id)
    {
        Load(id);
        if (Dataset.Extension != "png" || !Readable) return NotFound();
        return PhysicalFile(Path, "image/png");
    }

    private IActionResult Picture(Func<byte[]> draw)
    {
        if (!Readable) return NotFound();
        try { return File(draw(), "image/png"); }
        catch (Exception e) when (e is InvalidDataException or IOException or KeyNotFoundException or Formats.Hdf5.H5Exception or ShapeException)
        {
            throw ApiException.BadRequest($"cannot draw this: {e.Message}");
        }
    }

    /// <summary>Whether another NIfTI dataset has this one's dimensions, by the header facts the history keeps (no volume is decoded).</summary>
    private bool SameGeometry(DatasetRecord other) => Dims(other) is { } dims && dims == Dims(Dataset);

    private static string? Dims(DatasetRecord d) => d.Metadata is { } json && JsonNode.Parse(json)?["dims"] is JsonArray dims ? dims.ToJsonString() : null;

    private string ReadText()
    {
        using var stream = System.IO.File.OpenRead(Path);
        var buffer = new byte[Math.Min(stream.Length, MaxTextBytes)];
        stream.ReadExactly(buffer);
        var text = System.Text.Encoding.UTF8.GetString(buffer);
        return stream.Length > MaxTextBytes ? text + "\n… (the first 256 KiB; download the dataset for the rest)" : text;
    }

    private UserRecord Me => WebPages.CurrentUser(User, users);

    private void Load(string id)
    {
        Dataset = access.ReadableDataset(Me, id);
        History = histories.Get(Dataset.HistoryId);
    }

}
