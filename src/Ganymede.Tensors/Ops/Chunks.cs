namespace Ganymede.Ops;

/// <summary>
/// Splits a long elementwise loop over the cores. Elementwise passes are bandwidth-bound: one core
/// reaches about half the machine's DRAM bandwidth (cpu-performance.md), so two halves run about twice
/// as fast. Short loops stay on the calling thread, where thread hand-off would cost more than it saves.
/// </summary>
internal static class Chunks
{
    private const int MinParallel = 1 << 16;

    public static void For(int length, Action<int, int> body)
    {
        int workers = Math.Min(Environment.ProcessorCount, Math.Max(1, length / MinParallel));
        if (workers <= 1)
        {
            body(0, length);
            return;
        }
        // Chunk edges on 64-element boundaries keep every worker's vectors aligned to cache lines.
        int chunk = (length / workers + 63) & ~63;
        Parallel.For(0, workers, w =>
        {
            int start = w * chunk, end = Math.Min(length, start + chunk);
            if (start < end) body(start, end);
        });
    }
}
