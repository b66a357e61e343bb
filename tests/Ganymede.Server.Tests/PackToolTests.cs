using Ganymede.Client;
using Ganymede.Formats.Hdf5;
using Ganymede.Formats.Png;

namespace Ganymede.Server.Tests;

/// <summary>ganymede_pack through the API: PNG slices and masks paired by position into the H5 layout; wrong inputs refused by field.</summary>
public sealed class PackToolTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private string Png(string name, int seed, bool mask)
    {
        var random = new Random(seed);
        var samples = new ushort[32 * 32];
        for (int i = 0; i < samples.Length; i++) samples[i] = mask ? (ushort)(i % 32 > 16 ? 255 : 0) : (ushort)random.Next(256);
        var path = Path.Combine(server.DataDirectory, name);
        new PngImage(32, 32, 1, samples).Save(path);
        return path;
    }

    private static System.Text.Json.Nodes.JsonObject Values(IEnumerable<string> ids) =>
        new() { ["values"] = new System.Text.Json.Nodes.JsonArray(ids.Select(id => (System.Text.Json.Nodes.JsonNode)GanymedeClient.DatasetInput(id)).ToArray()) };

    [Fact]
    public async Task Png_slices_and_masks_pack_into_training_data()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("pack");
        var images = new List<string>();
        var masks = new List<string>();
        for (int i = 0; i < 6; i++)
        {
            images.Add((await alice.UploadAsync(history.Id, Png($"slice{i}.png", i, mask: false))).Id);
            masks.Add((await alice.UploadAsync(history.Id, Png($"mask{i}.png", i, mask: true))).Id);
        }
        foreach (var id in images.Concat(masks)) Assert.Equal("png", (await alice.WaitForDatasetAsync(id, TimeSpan.FromMinutes(1))).Type);

        // Every field at fault is named at once; then the rules between fields.
        var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => alice.RunToolAsync(history.Id, "ganymede_pack", new()
        {
            ["images"] = Values(images), ["masks"] = Values(masks), ["valid"] = 2, ["seed"] = -1,
        }));
        Assert.EndsWith("400 parameter valid (Validation fraction) must be at most 0.9; parameter seed (Seed of the split) must be at least 0", refused.Message);
        refused = await Assert.ThrowsAsync<GanymedeApiException>(() => alice.RunToolAsync(history.Id, "ganymede_pack", new()
        {
            ["images"] = Values(images), ["masks"] = Values(masks[..5]),
        }));
        Assert.EndsWith("400 5 mask(s) for 6 image(s): give one mask per image, in the same order", refused.Message);

        var run = await alice.RunToolAsync(history.Id, "ganymede_pack", new()
        {
            ["images"] = Values(images), ["masks"] = Values(masks), ["size"] = 16, ["valid"] = 0.34, ["crop"] = "none",
        });
        await alice.WaitForJobAsync(run.Jobs[0].Id, TimeSpan.FromMinutes(2));
        var data = run.Outputs.Single(o => o.Name == "Packed training data");
        var path = Path.Combine(server.DataDirectory, "packed.h5");
        await alice.DownloadAsync(data.Id, path);
        using var file = H5File.Open(path);
        using var train = file.Dataset("X_train");
        using var valid = file.Dataset("y_valid");
        Assert.Equal([4L, 16, 16, 1], train.Shape);
        Assert.Equal([2L, 16, 16, 1], valid.Shape);
        // The masks' right half is infection in every slice: so it is in the packed masks.
        var mask = valid.Read<float>();
        Assert.Equal(1f, mask[15]);
        Assert.Equal(0f, mask[0]);
    }
}
