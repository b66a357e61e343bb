namespace Ganymede.Autograd;

/// <summary>
/// Whether operations record themselves for backward, like PyTorch's grad mode. The mode belongs to the flow of
/// execution that set it (an <see cref="AsyncLocal{T}"/>): a <c>using (torch.no_grad()) { await ... }</c> turns
/// recording off for the code it awaits, wherever that resumes, and for nobody else.
/// </summary>
public static class GradMode
{
    private static readonly AsyncLocal<int> DisabledDepth = new();

    public static bool IsEnabled => DisabledDepth.Value == 0;

    /// <summary>Turns recording off until the returned scope is disposed (torch.no_grad()).</summary>
    public static IDisposable NoGrad()
    {
        DisabledDepth.Value++;
        return new Restore();
    }

    private sealed class Restore : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            DisabledDepth.Value--;
        }
    }
}
