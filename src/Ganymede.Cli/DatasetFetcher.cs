using Ganymede.Formats.Nifti;
using Ganymede.IO;
using Ganymede.Server.Storage;

namespace Ganymede.Cli;

/// <summary>One file of a public dataset: its name in the output folder, where it is published, and its SHA-256 when known.</summary>
internal sealed record PublicFile(string Name, string Url, string? Sha256 = null, long? Size = null);

/// <summary>A dataset `ganymede data fetch` knows: its files and where they come from.</summary>
internal sealed record PublicDataset(string Name, string Description, PublicFile[] Files, string? Origin = null)
{
    /// <summary>
    /// The datasets of the COVID-19 use case. <c>medseg</c> is the public MedSeg release (100 axial CT slices in Hounsfield
    /// units with radiologists' masks, figshare article 13521488), whose publisher gives no checksums: the first fetch
    /// records them (SHA256SUMS) and later fetches into the folder must match. <c>covid-semiseg</c> is the 50 training
    /// slices the project develops on (COVID-SemiSeg's labelled set, from MedSeg); no public server hosts these exact
    /// files, so they come from a mirror given with --source, and are checked against their pinned SHA-256.
    /// </summary>
    public static readonly PublicDataset[] Known =
    [
        new("medseg", "MedSeg COVID-19 CT segmentation: 100 slices (Hounsfield units) with infection masks",
        [
            new("tr_im.nii.gz", "https://ndownloader.figshare.com/files/25953977"),
            new("tr_mask.nii.gz", "https://ndownloader.figshare.com/files/25953980"),
        ]),
        new("covid-semiseg", "COVID-SemiSeg's 50 labelled training slices (8-bit grey levels on 512x512 canvases) with infection masks",
        [
            new("train_im.nii.gz", "train_im.nii.gz", "2561ac842777da6ad494db4232d1cc0b73bfdb2c2b598e9f4516d0972a8cd062", 5703359),
            new("train_mask.nii.gz", "train_mask.nii.gz", "a49ad1d80f69482d56f02bf645b6b8395f651c5909645f8ec99ce9a17efdf1bc", 211025),
            new("train_slices.json", "train_slices.json", "6b4fbf4844d2360c9c928fca9d122e3330f07cf11fd3597130fd78e8257d6f6c", 4273),
        ], Origin: "MedSeg (medicalsegmentation.com/covid19) via Inf-Net's COVID-SemiSeg (github.com/DengPingFan/Inf-Net)"),
    ];

    public static PublicDataset Find(string name) => Known.FirstOrDefault(d => d.Name == name)
        ?? throw new ArgumentException($"unknown dataset '{name}': known are {string.Join(", ", Known.Select(d => d.Name))}");
}

/// <summary>
/// Downloads a public dataset into a folder: each file under a temporary name, checked (size, SHA-256, and for image
/// volumes that they read as NIfTI), then renamed, so the folder never holds a partial or unverified file. Files already
/// there with the right checksum are kept.
/// </summary>
internal sealed class DatasetFetcher(HttpClient http, TextWriter log)
{
    public const string ChecksumFile = "SHA256SUMS";

    /// <param name="source">A base URL (or folder) to fetch every file from instead of its published address: a mirror.</param>
    public async Task FetchAsync(PublicDataset dataset, string directory, string? source, CancellationToken cancel)
    {
        Directory.CreateDirectory(directory);
        var recorded = ReadChecksums(directory);
        foreach (var file in dataset.Files)
        {
            var url = source is null ? file.Url : Combine(source, file.Name);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
                throw new ArgumentException($"{dataset.Name} has no public address for {file.Name}: give a mirror with --source URL" +
                    (dataset.Origin is null ? "" : $" (the files come from {dataset.Origin})"));
            var expected = file.Sha256 ?? recorded.GetValueOrDefault(file.Name);
            var target = Path.Combine(directory, file.Name);
            if (expected is not null && File.Exists(target) && FileStore.Sha256Of(target) == expected)
            {
                log.WriteLine($"{file.Name}: already here, checksum matches");
                continue;
            }
            var temporary = target + ".part";
            try
            {
                await DownloadAsync(uri, temporary, cancel);
                var size = new FileInfo(temporary).Length;
                if (file.Size is { } want && size != want) throw new InvalidDataException($"{file.Name} from {url}: {size:N0} bytes, expected {want:N0}");
                var actual = FileStore.Sha256Of(temporary);
                if (expected is not null && actual != expected)
                    throw new InvalidDataException($"{file.Name} from {url}: SHA-256 {actual} differs from the expected {expected}; the file was not kept");
                if (file.Name.EndsWith(".nii.gz", StringComparison.Ordinal)) NiftiImage.Load(temporary);
                File.Move(temporary, target, overwrite: true);
                recorded[file.Name] = actual;
                log.WriteLine($"{file.Name}: {size:N0} bytes, SHA-256 {actual}{(expected is null ? " (recorded)" : " (verified)")}");
            }
            finally
            {
                File.Delete(temporary);
            }
        }
        WriteChecksums(directory, recorded);
    }

    private async Task DownloadAsync(Uri uri, string path, CancellationToken cancel)
    {
        if (uri.IsFile)
        {
            File.Copy(uri.LocalPath, path, overwrite: true);
            return;
        }
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode) throw new IOException($"{uri}: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
        await using var body = await response.Content.ReadAsStreamAsync(cancel);
        await using var file = File.Create(path);
        await body.CopyToAsync(file, cancel);
    }

    private static string Combine(string source, string name) =>
        Uri.TryCreate(source, UriKind.Absolute, out var u) && !u.IsFile ? source.TrimEnd('/') + "/" + Uri.EscapeDataString(name) : new Uri(Path.GetFullPath(Path.Combine(source, name))).AbsoluteUri;

    /// <summary>The folder's SHA256SUMS (sha256sum's format), so `sha256sum -c SHA256SUMS` checks the files too.</summary>
    private static Dictionary<string, string> ReadChecksums(string directory)
    {
        var path = Path.Combine(directory, ChecksumFile);
        if (!File.Exists(path)) return [];
        return File.ReadLines(path).Select(l => l.Split("  ", 2)).Where(p => p.Length == 2).ToDictionary(p => p[1], p => p[0]);
    }

    private static void WriteChecksums(string directory, Dictionary<string, string> sums) =>
        AtomicFile.Write(Path.Combine(directory, ChecksumFile), stream =>
        {
            using var writer = new StreamWriter(stream);
            foreach (var (name, sum) in sums.OrderBy(kv => kv.Key, StringComparer.Ordinal)) writer.Write($"{sum}  {name}\n");
        });
}
