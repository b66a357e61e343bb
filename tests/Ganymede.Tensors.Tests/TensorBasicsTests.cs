using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Ganymede.Ops;
using Ganymede.Storage;
using Ganymede.Tests;

namespace Ganymede.Tensors.Tests;

public class TensorBasicsTests
{
    [Fact]
    public void Views_share_storage_and_permute_reads_transposed()
    {
        var x = torch.arange(0, 6).reshape(2, 3);
        var t = x.transpose(0, 1);
        Assert.Equal([3, 2], t.shape);
        Assert.False(t.is_contiguous());
        Assert.Equal([0f, 3, 1, 4, 2, 5], t.ToArray());
        Assert.Equal([1f, 2, 4, 5], x.narrow(1, 1, 2).ToArray());
        Assert.Equal([3f, 4, 5], x.select(0, 1).ToArray());
        Assert.Equal([1, 2, 1, 3], x.unsqueeze(0).unsqueeze(2).shape);
        Assert.Equal([2, 3], x.unsqueeze(0).unsqueeze(2).squeeze().shape);
        x.Span[0] = 42;
        Assert.Equal(42f, t.ToArray()[0]);
    }

    [Fact]
    public void Broadcasting_follows_numpy_rules()
    {
        var a = torch.arange(0, 3).reshape(3, 1);
        var b = torch.arange(0, 4).reshape(1, 4);
        var c = a + b * 10f;
        Assert.Equal([3, 4], c.shape);
        Assert.Equal([0f, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32], c.ToArray());
        Assert.Equal([2, 3, 4], torch.ones(2, 1, 4).add(torch.ones(3, 1)).shape);
    }

    [Fact]
    public void Expand_views_without_copying_and_reduces_in_backward()
    {
        var x = torch.tensor([1f, 2, 3], [3, 1], requires_grad: true);
        var e = x.expand(3, 4);
        Assert.Equal(0, e.stride()[1]);
        e.sum().backward();
        Assert.Equal([4f, 4, 4], x.grad!.ToArray());
    }

    [Fact]
    public void Same_seed_gives_same_numbers()
    {
        var g = new Generator(7);
        var a = torch.randn([5], g).ToArray();
        g.manual_seed(7);
        var b = torch.randn([5], g).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, torch.randn([5], g).ToArray());
    }

    [Fact]
    public void Threads_sharing_a_generator_get_its_numbers_each_once()
    {
        // Unlocked, concurrent draws tear xoshiro's state: numbers repeat, or it reaches all zeros and draws only zeros.
        const int threads = 4, draws = 250_000;
        var shared = new Generator(3);
        var drawn = new ulong[threads][];
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            drawn[t] = new ulong[draws];
            start.SignalAndWait();
            for (int i = 0; i < draws; i++) drawn[t][i] = shared.NextUInt64();
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        var alone = new Generator(3);
        var expected = Enumerable.Range(0, threads * draws).Select(_ => alone.NextUInt64()).Order();
        Assert.Equal(expected, drawn.SelectMany(d => d).Order());
    }

    [Fact]
    public void Shape_errors_name_the_operation_and_shapes()
    {
        var ex = Assert.Throws<ShapeException>(() => torch.ones(2, 3).add(torch.ones(4)));
        Assert.Contains("add", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
        var conv = Assert.Throws<ShapeException>(() => F.conv2d(torch.ones(1, 3, 8, 8), torch.ones(4, 2, 3, 3)));
        Assert.Contains("conv2d", conv.Message);
        Assert.Throws<ShapeException>(() => torch.ones(6).view(4, 2));
        Assert.Throws<DTypeException>(() => torch.tensor([1L, 2]).exp());
    }

    [Fact]
    public void Reductions_over_dimensions()
    {
        var x = torch.arange(0, 24).reshape(2, 3, 4);
        Assert.Equal(276f, x.sum().item());
        Assert.Equal([12f, 15, 18, 21, 48, 51, 54, 57], x.sum(1).ToArray());
        Assert.Equal([2, 1, 4], x.mean(1, keepdim: true).shape);
        var (values, indices) = x.max(2);
        Assert.Equal([3f, 7, 11, 15, 19, 23], values.ToArray());
        Assert.Equal([3L, 3, 3, 3, 3, 3], indices.ToInt64Array());
        Assert.Equal(DType.Int64, x.argmax(0).dtype);
    }

    [Fact]
    public void Backward_accumulates_and_no_grad_records_nothing()
    {
        var w = torch.tensor([2f, -1], requires_grad: true);
        w.mul(w).sum().backward();
        w.mul(3f).sum().backward();
        Assert.Equal([7f, 1], w.grad!.ToArray());
        using (torch.no_grad())
        {
            var y = w.mul(2f);
            Assert.False(y.requires_grad);
        }
        Assert.Throws<InvalidOperationException>(() => torch.ones(2).sum().backward());
    }

    [Fact]
    public void Cat_stack_split_round_trip()
    {
        var a = torch.arange(0, 4).reshape(2, 2);
        var b = torch.arange(4, 10).reshape(2, 3);
        var c = torch.cat([a, b], 1);
        Assert.Equal([0f, 1, 4, 5, 6, 2, 3, 7, 8, 9], c.ToArray());
        var parts = torch.split(c, 2, 1);
        Assert.Equal(3, parts.Length);
        Assert.Equal([6f, 9], parts[2].ToArray());
        Assert.Equal([2, 2, 2], torch.stack([a, a], 0).shape);
        Assert.Throws<ShapeException>(() => torch.cat([a, b], 0));
    }

    [Fact]
    public void Dispose_scope_returns_memory_and_keeps_moved_tensors()
    {
        Tensor kept, dropped;
        using (var scope = torch.NewDisposeScope())
        {
            dropped = torch.ones(3);
            kept = torch.ones(3).mul(2f).DetachFromDisposeScope();
        }
        Assert.Equal([2f, 2, 2], kept.ToArray());
        Assert.Throws<ObjectDisposedException>(() => dropped.ToArray());
    }

    [Fact]
    public void Blocked_memory_starts_on_a_cache_line_and_round_trips()
    {
        foreach (int[] shape in new[] { new[] { 1, 16, 1, 1 }, [2, 16, 3, 5], [3, 32, 7, 2] })
        {
            int n = (int)Shape.Numel(shape);
            var x = torch.arange(0, n).reshape(shape);
            var fresh = Tensor.EmptyBlocked(shape);
            foreach (var blocked in new[] { x.Blocked, fresh.Blocked })
            {
                Assert.Equal(n, blocked.Count);
                Assert.Equal(0, Address(blocked) % BufferPool.CacheLine);
            }
            var plain = new float[n];
            BlockedLayout.ToPlain(x.Blocked, shape, plain);
            Assert.Equal(x.ToArray(), plain);
        }
        var converted = BufferPool.RentAligned<ushort>(37);
        Assert.Equal(0, Address(converted) % BufferPool.CacheLine);
        Assert.Equal(37, converted.Count);
        BufferPool.Return(converted.Array!);
    }

    private static long Address<T>(ArraySegment<T> segment)
    {
        var handle = GCHandle.Alloc(segment.Array!, GCHandleType.Pinned);
        try { return handle.AddrOfPinnedObject() + (long)segment.Offset * Unsafe.SizeOf<T>(); }
        finally { handle.Free(); }
    }
}
