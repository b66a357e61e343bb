using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Ganymede.Client;
using Ganymede.Server.Services;
using Ganymede.Server.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Ganymede.Server.Tests;

/// <summary>A server whose users may store 16 MiB and run one job at once.</summary>
public sealed class QuotaServerFixture : ServerFixture
{
    protected override UserQuota Quota => UserQuota.Unlimited.With("storage=16MiB,jobs=1");
}

/// <summary>Storage and jobs quotas: what is over them is refused with Galaxy's error body, and freeing space lifts the refusal.</summary>
public sealed class QuotaTests(QuotaServerFixture server) : IClassFixture<QuotaServerFixture>
{
    private const long TenMegabytes = 10_000_000;

    private string WriteFile(string name, long bytes)
    {
        var path = Path.Combine(server.DataDirectory, name);
        File.WriteAllBytes(path, new byte[bytes]);
        return path;
    }

    [Fact]
    public async Task Uploads_past_the_storage_quota_are_refused_until_space_is_purged()
    {
        using var alice = new GanymedeClient(server.Url, server.AliceKey);
        var history = await alice.CreateHistoryAsync("quota");
        var first = await alice.UploadAsync(history.Id, WriteFile("first.bin", TenMegabytes));
        Assert.Equal("ok", (await alice.WaitForDatasetAsync(first.Id, TimeSpan.FromMinutes(1))).State);

        var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => alice.UploadAsync(history.Id, WriteFile("second.bin", TenMegabytes)));
        Assert.Equal((403, 403007), (refused.Status, refused.Code));
        Assert.EndsWith(": 403 over your storage quota of 16 MiB: you use 9.5 MiB and this adds 9.5 MiB; delete and purge datasets to make room, or ask an administrator for more", refused.Message);
        Assert.Equal([first.Id], (await alice.ListContentsAsync(history.Id)).Select(d => d.Id));

        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        http.DefaultRequestHeaders.Add("x-api-key", server.AliceKey);
        var me = (await http.GetFromJsonAsync<JsonObject>("/api/users/current"))!;
        Assert.Equal(TenMegabytes, (long)me["total_disk_usage"]!);
        Assert.Equal(16L << 20, (long)me["quota_bytes"]!);
        Assert.Equal(59, (int)me["quota_percent"]!);
        Assert.Equal(1, (int)me["job_quota"]!);

        var purge = new HttpRequestMessage(HttpMethod.Delete, $"/api/histories/{history.Id}/contents/{first.Id}") { Content = JsonContent.Create(new { purge = true }) };
        Assert.True((await http.SendAsync(purge)).IsSuccessStatusCode);
        var second = await alice.UploadAsync(history.Id, WriteFile("third.bin", TenMegabytes));
        Assert.Equal("ok", (await alice.WaitForDatasetAsync(second.Id, TimeSpan.FromMinutes(1))).State);
    }

    [Fact]
    public async Task An_administrators_setting_for_one_user_replaces_the_servers_quota()
    {
        var users = server.Services.GetRequiredService<UserStore>();
        var (bob, key) = users.Create("carol@example.org", isAdmin: false);
        users.SetQuota(bob.Id, "storage=none");
        using var carol = new GanymedeClient(server.Url, key);
        var history = await carol.CreateHistoryAsync("no storage quota");
        foreach (var name in new[] { "a.bin", "b.bin" })
            Assert.Equal("ok", (await carol.WaitForDatasetAsync((await carol.UploadAsync(history.Id, WriteFile(name, TenMegabytes))).Id, TimeSpan.FromMinutes(1))).State);
        Assert.Equal(UserQuota.Unlimited with { Jobs = 1 }, server.Services.GetRequiredService<Quotas>().For(users.Get(bob.Id)!));
    }

    [Fact]
    public async Task A_second_job_waits_for_the_jobs_quota_and_job_outputs_count_against_storage()
    {
        var users = server.Services.GetRequiredService<UserStore>();
        var (_, key) = users.Create("dave@example.org", isAdmin: false);
        using var dave = new GanymedeClient(server.Url, key);
        var history = await dave.CreateHistoryAsync("jobs quota");
        var slow = await dave.PasteAsync(history.Id, "System.Threading.Thread.Sleep(60_000);", "slow.csx");
        var run = await dave.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(slow.Id) });

        var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => dave.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(slow.Id) }));
        Assert.Equal((403, 403007), (refused.Status, refused.Code));
        Assert.EndsWith(": 403 over your quota of 1 job(s) at once: 1 of yours are queued or running; wait for one to finish or cancel one", refused.Message);
        Assert.True(await dave.CancelJobAsync(run.Jobs[0].Id));

        // A job may take its owner past the storage quota; after it, nothing new starts.
        var writer = await dave.PasteAsync(history.Id, "System.IO.File.WriteAllBytes(\"big.h5\", new byte[20_000_000]);", "write.csx");
        var wrote = await dave.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(writer.Id) });
        Assert.Equal("ok", (await dave.WaitForJobAsync(wrote.Jobs[0].Id, TimeSpan.FromMinutes(2))).State);
        var contents = await dave.ListContentsAsync(history.Id);
        Assert.Contains(contents, d => d.Name == "big.h5" && d.FileSize == 20_000_000);
        Assert.Equal(contents.Sum(d => d.FileSize), (await dave.GetHistoryAsync(history.Id)).Size);
        var full = await Assert.ThrowsAsync<GanymedeApiException>(() => dave.RunToolAsync(history.Id, "ganymede_run_script", new() { ["select_file"] = GanymedeClient.DatasetInput(slow.Id) }));
        Assert.Matches(@": 403 over your storage quota of 16 MiB: you use 19\.\d MiB; delete and purge", full.Message);
    }

    [Fact]
    public async Task Galaxys_quotas_set_add_and_take_storage_for_groups_users_and_everyone()
    {
        var users = server.Services.GetRequiredService<UserStore>();
        var (heidi, heidiKey) = users.Create("heidi@example.org", isAdmin: false);
        var (_, ivanKey) = users.Create("ivan@example.org", isAdmin: false);
        using var admin = server.Http(server.AdminKey);
        using var heidiHttp = server.Http(heidiKey);
        using var ivanHttp = server.Http(ivanKey);
        async Task<long?> QuotaOf(HttpClient http) => (long?)(await http.GetFromJsonAsync<JsonObject>("/api/users/current"))!["quota_bytes"];
        async Task<JsonObject> Made(HttpResponseMessage response)
        {
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        }
        var heidiId = server.Services.GetRequiredService<IdCodec>().Encode(heidi.Id);
        var group = (await (await admin.PostAsJsonAsync("/api/groups", new { name = "imaging", user_ids = new[] { heidiId } })).Content.ReadFromJsonAsync<JsonArray>())![0]!["id"]!.ToString();

        var everyone = await Made(await admin.PostAsJsonAsync("/api/quotas", new { name = "everyone", description = "registered users", amount = "2 GB", operation = "=", @default = "registered" }));
        try
        {
            Assert.Equal((2L << 30, 2L << 30), (await QuotaOf(heidiHttp), await QuotaOf(ivanHttp)));
            var imaging = await Made(await admin.PostAsJsonAsync("/api/quotas", new { name = "imaging", description = "the imaging group", amount = "1 GB", operation = "=", in_groups = new[] { group } }));
            var extra = await Made(await admin.PostAsJsonAsync("/api/quotas", new { name = "heidi's extra", description = "a large study", amount = "512 MB", operation = "+", in_users = new[] { heidiId } }));
            Assert.Equal((1536L << 20, 2L << 30), (await QuotaOf(heidiHttp), await QuotaOf(ivanHttp)));

            // Enforced as the server's own quota is: with the group's down to 10 KB and the extra gone, a 20 kB paste is refused.
            Assert.Equal("\"Quota 'imaging' is now '=10.0 KB'\"", await (await admin.PutAsJsonAsync($"/api/quotas/{imaging["id"]}", new { amount = "10 KB" })).Content.ReadAsStringAsync());
            Assert.Equal("\"Deleted 1 quotas: heidi's extra\"", await (await admin.DeleteAsync($"/api/quotas/{extra["id"]}")).Content.ReadAsStringAsync());
            Assert.Equal(10L << 10, await QuotaOf(heidiHttp));
            using var heidiClient = new GanymedeClient(server.Url, heidiKey);
            var history = await heidiClient.CreateHistoryAsync("over");
            var refused = await Assert.ThrowsAsync<GanymedeApiException>(() => heidiClient.PasteAsync(history.Id, new string('x', 20_000), "big.txt"));
            Assert.Equal((403, 403007), (refused.Status, refused.Code));
            Assert.Contains("over your storage quota of 10 KiB", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            await admin.PutAsJsonAsync($"/api/quotas/{everyone["id"]}", new { @default = "no" });
            await admin.DeleteAsync($"/api/quotas/{everyone["id"]}");
        }
        Assert.Equal(16L << 20, await QuotaOf(ivanHttp));
    }
}
