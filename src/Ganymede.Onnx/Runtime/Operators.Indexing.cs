namespace Ganymede.Onnx.Runtime;

/// <summary>Shape manipulation: Gather, Unsqueeze, Squeeze, Slice.</summary>
internal static partial class Operators
{
    private static Tensor[] Gather(NodeContext c)
    {
        var data = c.Input(0);
        var indices = c.Input(1);
        int axis = (int)c.Int("axis", 0);
        if (axis < 0) axis += data.dim();
        int size = data.size(axis);
        var picked = indices.ToInt64Array().Select(i =>
        {
            long k = i < 0 ? i + size : i;
            return k < 0 || k >= size ? throw c.Error($"index {i} is outside dimension {axis} of size {size}") : data.narrow(axis, (int)k, 1);
        }).ToList();
        var joined = picked.Count == 0 ? data.narrow(axis, 0, 0) : torch.cat(picked, axis);
        var shape = data.shape[..axis].Concat(indices.shape).Concat(data.shape[(axis + 1)..]).ToArray();
        return [joined.reshape(shape)];
    }

    private static long[] Axes(NodeContext c) =>
        (c.Opset >= 13 ? c.Longs(1) : c.Ints("axes")) ?? [];

    private static Tensor[] Unsqueeze(NodeContext c)
    {
        var x = c.Input(0);
        int rank = x.dim() + Axes(c).Length;
        foreach (var a in Axes(c).Select(a => (int)(a < 0 ? a + rank : a)).Order()) x = x.unsqueeze(a);
        return [x];
    }

    private static Tensor[] Squeeze(NodeContext c)
    {
        var x = c.Input(0);
        var axes = Axes(c);
        if (axes.Length == 0) return [x.reshape(x.shape.Where(d => d != 1).ToArray())];
        foreach (var a in axes.Select(a => (int)(a < 0 ? a + x.dim() : a)).OrderDescending())
        {
            if (x.size(a) != 1) throw c.Error($"cannot squeeze dimension {a} of size {x.size(a)}");
            x = x.squeeze(a);
        }
        return [x];
    }

    /// <summary>Slice with per-axis start, end and step (negative steps and clamped bounds as the specification says).</summary>
    private static Tensor[] Slice(NodeContext c)
    {
        var x = c.Input(0);
        var starts = c.Opset >= 10 ? c.Longs(1) ?? [] : c.Ints("starts") ?? [];
        var ends = c.Opset >= 10 ? c.Longs(2) ?? [] : c.Ints("ends") ?? [];
        var axes = (c.Opset >= 10 ? c.Longs(3) : c.Ints("axes")) ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var steps = c.Opset >= 10 ? c.Longs(4) ?? Enumerable.Repeat(1L, starts.Length).ToArray() : Enumerable.Repeat(1L, starts.Length).ToArray();
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = (int)(axes[i] < 0 ? axes[i] + x.dim() : axes[i]);
            long dim = x.size(axis), step = steps[i];
            if (step == 0) throw c.Error("slice step 0");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i], end = ends[i] < 0 ? ends[i] + dim : ends[i];
            var picked = new List<Tensor>();
            if (step > 0)
            {
                start = Math.Clamp(start, 0, dim);
                end = Math.Clamp(end, 0, dim);
                if (step == 1)
                {
                    x = x.narrow(axis, (int)start, (int)Math.Max(0, end - start));
                    continue;
                }
                for (long k = start; k < end; k += step) picked.Add(x.narrow(axis, (int)k, 1));
            }
            else
            {
                start = Math.Clamp(start, -1, dim - 1);
                end = Math.Clamp(end, -1, dim - 1);
                for (long k = start; k > end; k += step) picked.Add(x.narrow(axis, (int)k, 1));
            }
            x = picked.Count == 0 ? x.narrow(axis, 0, 0) : torch.cat(picked, axis);
        }
        return [x.contiguous()];
    }
}
