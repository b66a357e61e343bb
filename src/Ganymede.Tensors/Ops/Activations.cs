using Ganymede.Autograd;
using Ganymede.Backends;

namespace Ganymede.Ops;

/// <summary>ReLU and leaky ReLU: elementwise, so they run in whatever layout their input has.</summary>
internal static class Activations
{
    public static Tensor LeakyRelu(Tensor input, float slope, string name)
    {
        using var profile = Profiler.Scope(name);
        Binary.CheckFloat(name, input);
        var backend = Backend.Current;
        bool blocked = BlockedLayout.Prefer(input);
        var y = BlockedLayout.Empty(input.shape, blocked);
        backend.LeakyReluForward(BlockedLayout.Data(input, blocked), BlockedLayout.Data(y, blocked), slope);
        Tracing.OpTrace.Record(name, [input], y, ("slope", slope));
        return AutogradEngine.Record(y, name, [input], g =>
        {
            var dx = BlockedLayout.Empty(input.shape, blocked);
            backend.LeakyReluBackward(BlockedLayout.Data(input, blocked), BlockedLayout.Data(g, blocked), BlockedLayout.Data(dx, blocked), slope);
            return [dx];
        });
    }
}
