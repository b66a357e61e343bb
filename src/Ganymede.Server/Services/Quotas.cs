using System.Globalization;
using Ganymede.Server.Jobs;
using Ganymede.Server.Storage;

namespace Ganymede.Server.Services;

/// <summary>
/// What one user may hold and run: bytes stored (every dataset not yet purged, uploads and job outputs alike) and
/// jobs unfinished at once (queued or running). Null is no limit. The server's options hold the default
/// (`ganymede serve --quota storage=100GiB,jobs=4`); an administrator overrides it per user (`ganymede users quota`).
/// </summary>
public sealed record UserQuota(long? StorageBytes, int? Jobs)
{
    public static UserQuota Unlimited { get; } = new(null, null);

    /// <summary>This quota with the settings in <paramref name="text"/> applied: "storage=10GiB,jobs=2"; "none" lifts one.</summary>
    public UserQuota With(string text)
    {
        var quota = this;
        foreach (var setting in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var (name, value) = setting.Split('=', 2) is [var n, var v] ? (n.Trim(), v.Trim()) : throw new ArgumentException($"'{setting}' is not NAME=VALUE (storage or jobs)");
            bool none = value.Equals("none", StringComparison.OrdinalIgnoreCase);
            quota = name switch
            {
                "storage" => quota with { StorageBytes = none ? null : JobLimits.ParseBytes(value) },
                "jobs" => quota with
                {
                    Jobs = none ? null : int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int j) && j >= 1 ? j
                        : throw new ArgumentException($"jobs={value}: expected a whole number of at least 1, or none"),
                },
                _ => throw new ArgumentException($"unknown quota '{name}' (storage or jobs)"),
            };
        }
        return quota;
    }
}

/// <summary>
/// Applies the quotas: uploads and tool runs over a user's quota are refused with Galaxy's error body naming the quota
/// and the amount. A job already running may take a user over the storage quota (its disk limit bounds by how much);
/// then nothing new is accepted until the user deletes and purges.
/// </summary>
public sealed class Quotas(UserStore users, JobStore jobs, QuotaStore galaxyQuotas, ServerOptions options)
{
    /// <summary>
    /// The user's quota. Storage starts from the server's default; Galaxy's quotas (the API's) replace it as Galaxy
    /// combines them: the largest '=' quota given to the user or their groups, else the default quota for registered
    /// users (whatever its operation), then every other '+' added and every '-' taken off (unlimited stays unlimited). An administrator's settings for
    /// this one user (`ganymede users quota`) come last and win.
    /// </summary>
    public UserQuota For(UserRecord user)
    {
        var quota = options.Quota;
        var applying = galaxyQuotas.Applying(user.Id);
        var set = applying.Where(q => q.Operation == "=" && q.DefaultFor is null).ToList();
        var basis = set.Count > 0 ? set : applying.Where(q => q.DefaultFor == "registered").ToList();
        if (basis.Count > 0)
        {
            var changes = applying.Where(q => q.Operation != "=" && q.DefaultFor is null).ToList();
            bool unlimited = basis.Any(q => q.Bytes is null) || changes.Any(q => q is { Operation: "+", Bytes: null });
            long bytes = unlimited ? 0 : basis.Max(q => q.Bytes!.Value) + changes.Sum(q => q.Operation == "+" ? q.Bytes!.Value : -(q.Bytes ?? 0));
            quota = quota with { StorageBytes = unlimited ? null : Math.Max(0, bytes) };
        }
        return quota.With(user.Quota ?? "");
    }

    /// <summary>What the user uses of their quota now (the account page, the dashboard, the user view).</summary>
    public QuotaUse Use(UserRecord user) => new(users.DiskUsage(user.Id), jobs.CountUnfinished(user.Id), For(user));

    /// <summary>Refuses storing <paramref name="adding"/> more bytes for the user when that would pass their storage quota.</summary>
    public void CheckStorage(UserRecord user, long adding)
    {
        if (For(user).StorageBytes is not { } quota) return;
        long used = users.DiskUsage(user.Id);
        if (adding == 0 ? used >= quota : used + adding > quota)
            throw ApiException.OverQuota(
                $"over your storage quota of {JobLimits.FormatBytes(quota)}: you use {JobLimits.FormatBytes(used)}"
                + (adding > 0 ? $" and this adds {JobLimits.FormatBytes(adding)}" : "")
                + "; delete and purge datasets to make room, or ask an administrator for more");
    }

    /// <summary>Refuses a tool run when the user already has as many unfinished jobs as their quota allows, or is out of storage.</summary>
    public void CheckToolRun(UserRecord user)
    {
        CheckStorage(user, 0);
        if (For(user).Jobs is not { } quota) return;
        int unfinished = jobs.CountUnfinished(user.Id);
        if (unfinished >= quota)
            throw ApiException.OverQuota($"over your quota of {quota} job(s) at once: {unfinished} of yours are queued or running; wait for one to finish or cancel one");
    }
}

/// <summary>Bytes stored and jobs unfinished against a quota; <see cref="Percent"/> is null without a storage quota.</summary>
public sealed record QuotaUse(long StoredBytes, int UnfinishedJobs, UserQuota Quota)
{
    public int? Percent => Quota.StorageBytes is { } b ? (int)Math.Min(100, StoredBytes * 100 / Math.Max(1, b)) : null;
}
