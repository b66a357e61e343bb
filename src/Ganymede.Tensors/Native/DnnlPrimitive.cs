using System.Runtime.InteropServices;
using Ganymede.Storage;

namespace Ganymede.Native;

/// <summary>A buffer handed to native code: its address (pinned by the caller for the call) and how many bytes it holds.</summary>
internal readonly unsafe record struct NativeBuffer(IntPtr Address, long Bytes)
{
    public static NativeBuffer Of(float* address, int length) => new((IntPtr)address, (long)length * sizeof(float));

    public static NativeBuffer Of(byte* address, int length) => new((IntPtr)address, length);

    public static NativeBuffer Of(ushort* address, int length) => new((IntPtr)address, (long)length * sizeof(ushort));
}

/// <summary>
/// One oneDNN primitive bound to plain (row-major) user buffers. The primitive picks its own memory
/// layout (format "any": a blocked one, on which its kernels run faster than on plain NCHW); where
/// that differs from the user's layout or data type (a bfloat16 convolution's inputs), a reorder converts
/// into a pooled scratch buffer before (inputs) or after (outputs) the primitive. Built once per shape and reused.
/// Every buffer is checked against the size its argument's memory descriptor (made from the geometry) needs before
/// anything runs, so a wrong geometry is an exception, never a write past a buffer's end.
/// Primitives are built on one thread and run on others (the thread pool), so each execution passes its own scratchpad
/// (the context's attributes ask for that): the library's default, one scratchpad per creating thread, is overrun
/// when a primitive runs on a thread whose scratchpad was sized for another.
/// </summary>
internal sealed unsafe class DnnlPrimitive : IDisposable
{
    /// <summary>
    /// One execution argument: the user's layout (plain, or nChw16c when <paramref name="Blocked"/>) and data type
    /// (float32 unless <paramref name="UserType"/> says otherwise), and the primitive's own when they differ. Null
    /// <paramref name="Dims"/> marks an opaque buffer (a workspace) whose layout is whatever the primitive says, passed
    /// through untouched. <paramref name="ChannelsLast"/> describes the user's buffer as NHWC instead, for a primitive
    /// that works on NHWC: the same bytes as nChw16c with exactly 16 channels, or as plain with one.
    /// </summary>
    public readonly record struct ArgSpec(int Arg, int Query, long[]? Dims, bool IsOutput, bool Blocked = false, int UserType = Dnnl.F32, bool ChannelsLast = false);

    private sealed class Binding
    {
        public required int Arg;
        public required bool IsOutput;
        public required IntPtr UserMemory;
        public required long UserBytes;
        public IntPtr PrimitiveMemory;
        public IntPtr Reorder;
        public IntPtr ReorderScratchpad;
        public int ScratchFloats;
    }

    /// <summary>oneDNN's kernels may assume their scratchpad starts on a cache line, and run faster on arguments that do.</summary>
    private const int ScratchpadAlignment = BufferPool.CacheLine;

    private readonly DnnlContext _ctx;
    private readonly IntPtr _pd;
    private readonly IntPtr _primitive;
    private readonly IntPtr _scratchpad;
    private readonly Binding[] _bindings;

    /// <summary>The largest scratchpad the primitive or one of its reorders needs; they run one after another, so they share one.</summary>
    private long _scratchpadBytes;

    public DnnlPrimitive(DnnlContext ctx, IntPtr pd, ArgSpec[] args)
    {
        _ctx = ctx;
        _pd = pd;
        Dnnl.Check(Dnnl.dnnl_primitive_create(out _primitive, pd), "primitive_create");
        _scratchpad = ScratchpadMemory(pd);
        _bindings = new Binding[args.Length];
        for (int i = 0; i < args.Length; i++) _bindings[i] = Bind(args[i]);
    }

    /// <summary>A memory object for the scratchpad a primitive descriptor asks for (its buffer attached per run), or none.</summary>
    private IntPtr ScratchpadMemory(IntPtr pd)
    {
        var md = Dnnl.dnnl_primitive_desc_query_md(pd, Dnnl.QueryScratchpadMd, 0);
        long bytes = md is null ? 0 : (long)Dnnl.dnnl_memory_desc_get_size(md);
        if (bytes == 0) return IntPtr.Zero;
        Dnnl.Check(Dnnl.dnnl_memory_create(out var memory, md, _ctx.Engine, Dnnl.MemoryNone), "memory_create (scratchpad)");
        _scratchpadBytes = Math.Max(_scratchpadBytes, bytes);
        return memory;
    }

    /// <summary>Bytes of the primitive's own memory for a query (e.g. its workspace).</summary>
    public long QueryBytes(int query) => (long)Dnnl.dnnl_memory_desc_get_size(Dnnl.dnnl_primitive_desc_query_md(_pd, query, 0));

    private Binding Bind(ArgSpec spec)
    {
        if (spec.Dims is null)
        {
            var md = Dnnl.dnnl_primitive_desc_query_md(_pd, spec.Query, 0);
            Dnnl.Check(Dnnl.dnnl_memory_create(out var opaque, md, _ctx.Engine, Dnnl.MemoryNone), "memory_create");
            return new Binding { Arg = spec.Arg, IsOutput = spec.IsOutput, UserMemory = opaque, PrimitiveMemory = opaque, UserBytes = (long)Dnnl.dnnl_memory_desc_get_size(md) };
        }
        var user = Dnnl.Plain(spec.Dims, spec.ChannelsLast ? Dnnl.TagAcdb : spec.Blocked ? Dnnl.TagABcd16b : Dnnl.PlainTag(spec.Dims.Length), spec.UserType);
        Dnnl.Check(Dnnl.dnnl_memory_create(out var userMem, &user, _ctx.Engine, Dnnl.MemoryNone), "memory_create");
        var binding = new Binding { Arg = spec.Arg, IsOutput = spec.IsOutput, UserMemory = userMem, PrimitiveMemory = userMem, UserBytes = (long)Dnnl.dnnl_memory_desc_get_size(&user) };
        var chosen = spec.Query == Dnnl.QueryPlain ? null : Dnnl.dnnl_primitive_desc_query_md(_pd, spec.Query, 0);
        if (chosen is null || Dnnl.dnnl_memory_desc_equal(chosen, &user) != 0) return binding;

        Dnnl.Check(Dnnl.dnnl_memory_create(out binding.PrimitiveMemory, chosen, _ctx.Engine, Dnnl.MemoryNone), "memory_create");
        binding.ScratchFloats = (int)(((long)Dnnl.dnnl_memory_desc_get_size(chosen) + sizeof(float) - 1) / sizeof(float));
        Dnnl.MemoryDesc* from = spec.IsOutput ? chosen : &user;
        Dnnl.MemoryDesc* to = spec.IsOutput ? &user : chosen;
        Dnnl.Check(Dnnl.dnnl_reorder_primitive_desc_create(out var reorderPd, from, _ctx.Engine, to, _ctx.Engine, _ctx.Attributes), "reorder_primitive_desc_create");
        try
        {
            Dnnl.Check(Dnnl.dnnl_primitive_create(out binding.Reorder, reorderPd), "primitive_create (reorder)");
            binding.ReorderScratchpad = ScratchpadMemory(reorderPd);
        }
        finally
        {
            Dnnl.dnnl_primitive_desc_destroy(reorderPd);
        }
        return binding;
    }

    /// <summary>
    /// Runs the primitive; <paramref name="buffers"/> holds one user buffer per argument, in order, each pinned by the
    /// caller until this returns.
    /// </summary>
    public void Execute(ReadOnlySpan<NativeBuffer> buffers)
    {
        if (buffers.Length != _bindings.Length)
            throw new InvalidOperationException($"internal: a oneDNN primitive with {_bindings.Length} arguments was given {buffers.Length} buffers");
        for (int i = 0; i < _bindings.Length; i++)
            if (buffers[i].Bytes < _bindings[i].UserBytes)
                throw new InvalidOperationException($"internal: oneDNN argument {_bindings[i].Arg} needs {_bindings[i].UserBytes} bytes, its buffer holds {buffers[i].Bytes}");
        int argCount = _bindings.Length + (_scratchpad == IntPtr.Zero ? 0 : 1);
        Span<Dnnl.ExecArg> args = stackalloc Dnnl.ExecArg[argCount];
        // Scratch buffers (converted arguments and the scratchpad) are pinned here, explicitly, for as long as the
        // primitive and its reorders run.
        var scratch = new GCHandle[_bindings.Length + 1];
        try
        {
            if (_scratchpadBytes > 0)
            {
                scratch[^1] = GCHandle.Alloc(BufferPool.Rent<float>((int)((_scratchpadBytes + ScratchpadAlignment) / sizeof(float)), clear: false), GCHandleType.Pinned);
                AttachScratchpad(scratch[^1].AddrOfPinnedObject());
                if (_scratchpad != IntPtr.Zero) args[^1] = new Dnnl.ExecArg { Arg = Dnnl.ArgScratchpad, Memory = _scratchpad };
            }
            for (int i = 0; i < _bindings.Length; i++)
            {
                var b = _bindings[i];
                Dnnl.Check(Dnnl.dnnl_memory_set_data_handle(b.UserMemory, buffers[i].Address), "memory_set_data_handle");
                if (b.Reorder != IntPtr.Zero)
                {
                    scratch[i] = GCHandle.Alloc(BufferPool.Rent<float>(b.ScratchFloats + ScratchpadAlignment / sizeof(float), clear: false), GCHandleType.Pinned);
                    Dnnl.Check(Dnnl.dnnl_memory_set_data_handle(b.PrimitiveMemory, AlignUp(scratch[i].AddrOfPinnedObject())), "memory_set_data_handle");
                    if (!b.IsOutput) RunReorder(b, b.UserMemory, b.PrimitiveMemory);
                }
                args[i] = new Dnnl.ExecArg { Arg = b.Arg, Memory = b.PrimitiveMemory };
            }
            fixed (Dnnl.ExecArg* a = args)
                Dnnl.Check(Dnnl.dnnl_primitive_execute(_primitive, _ctx.Stream, args.Length, a), "primitive_execute");
            foreach (var b in _bindings)
                if (b.IsOutput && b.Reorder != IntPtr.Zero) RunReorder(b, b.PrimitiveMemory, b.UserMemory);
            Dnnl.Check(Dnnl.dnnl_stream_wait(_ctx.Stream), "stream_wait");
        }
        finally
        {
            foreach (var handle in scratch)
            {
                if (!handle.IsAllocated) continue;
                BufferPool.Return((float[])handle.Target!);
                handle.Free();
            }
        }
    }

    /// <summary>Points every scratchpad memory object at the run's buffer, aligned up to a cache line.</summary>
    private void AttachScratchpad(IntPtr buffer)
    {
        var aligned = AlignUp(buffer);
        if (_scratchpad != IntPtr.Zero) Dnnl.Check(Dnnl.dnnl_memory_set_data_handle(_scratchpad, aligned), "memory_set_data_handle (scratchpad)");
        foreach (var b in _bindings)
            if (b.ReorderScratchpad != IntPtr.Zero)
                Dnnl.Check(Dnnl.dnnl_memory_set_data_handle(b.ReorderScratchpad, aligned), "memory_set_data_handle (scratchpad)");
    }

    private static IntPtr AlignUp(IntPtr address) => (IntPtr)(((nint)address + ScratchpadAlignment - 1) & ~(nint)(ScratchpadAlignment - 1));

    private void RunReorder(Binding binding, IntPtr from, IntPtr to)
    {
        using var profile = Profiler.Scope("onednn reorder");
        var args = stackalloc Dnnl.ExecArg[3];
        args[0] = new Dnnl.ExecArg { Arg = Dnnl.ArgFrom, Memory = from };
        args[1] = new Dnnl.ExecArg { Arg = Dnnl.ArgTo, Memory = to };
        args[2] = new Dnnl.ExecArg { Arg = Dnnl.ArgScratchpad, Memory = binding.ReorderScratchpad };
        int count = binding.ReorderScratchpad == IntPtr.Zero ? 2 : 3;
        Dnnl.Check(Dnnl.dnnl_primitive_execute(binding.Reorder, _ctx.Stream, count, args), "primitive_execute (reorder)");
    }

    public void Dispose()
    {
        foreach (var b in _bindings)
        {
            if (b.Reorder != IntPtr.Zero)
            {
                Dnnl.dnnl_primitive_destroy(b.Reorder);
                Dnnl.dnnl_memory_destroy(b.PrimitiveMemory);
            }
            if (b.ReorderScratchpad != IntPtr.Zero) Dnnl.dnnl_memory_destroy(b.ReorderScratchpad);
            Dnnl.dnnl_memory_destroy(b.UserMemory);
        }
        if (_scratchpad != IntPtr.Zero) Dnnl.dnnl_memory_destroy(_scratchpad);
        Dnnl.dnnl_primitive_destroy(_primitive);
        Dnnl.dnnl_primitive_desc_destroy(_pd);
    }
}

/// <summary>
/// The engine and stream every primitive runs on (one CPU engine per process), and the attributes every primitive is
/// built with: scratchpads passed per run, so that a primitive may run on any thread.
/// </summary>
internal sealed class DnnlContext
{
    public DnnlContext()
    {
        Dnnl.Check(Dnnl.dnnl_primitive_attr_create(out var attributes), "primitive_attr_create");
        Dnnl.Check(Dnnl.dnnl_primitive_attr_set_scratchpad_mode(attributes, Dnnl.ScratchpadModeUser), "primitive_attr_set_scratchpad_mode");
        Attributes = attributes;
        Dnnl.Check(Dnnl.dnnl_engine_create(out var engine, Dnnl.EngineCpu, 0), "engine_create");
        Engine = engine;
        Dnnl.Check(Dnnl.dnnl_stream_create(out var stream, engine, Dnnl.StreamDefaultFlags), "stream_create");
        Stream = stream;
    }

    public IntPtr Engine { get; }

    public IntPtr Attributes { get; }

    public IntPtr Stream { get; }
}
