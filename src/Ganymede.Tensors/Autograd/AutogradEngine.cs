namespace Ganymede.Autograd;

/// <summary>Records operations and runs reverse-mode differentiation over what was recorded.</summary>
internal static class AutogradEngine
{
    /// <summary>
    /// Attaches <paramref name="backward"/> to <paramref name="output"/> when grad mode is on and any input
    /// requires gradients. Every differentiable operation ends with this call, next to its forward code.
    /// </summary>
    public static Tensor Record(Tensor output, string name, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!GradMode.IsEnabled) return output;
        bool any = false;
        foreach (var input in inputs) any |= input.RequiresGradFlag;
        if (!any) return output;
        output.RequiresGradFlag = true;
        output.GradFn = new GradNode(name, inputs, backward, output);
        return output;
    }

    public static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGradFlag)
            throw new InvalidOperationException("backward: the tensor does not require grad and has no grad_fn");
        if (gradient is null && root.numel() != 1)
            throw new ShapeException($"backward: grad can be implicitly created only for scalar outputs, not shape {Shape.Format(root.Shape_)}");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using (GradMode.NoGrad())
        {
            grads[root] = gradient ?? torch.ones(root.shape);
            for (int i = order.Count - 1; i >= 0; i--)
            {
                var tensor = order[i];
                if (!grads.Remove(tensor, out var g)) continue;
                var node = tensor.GradFn;
                if (node is null)
                {
                    AccumulateIntoLeaf(tensor, g);
                    continue;
                }
                node.CheckVersions(tensor);
                Tensor?[] inputGrads;
                using (Profiler.Scope(node.Name + " backward")) inputGrads = node.Backward(g);
                for (int k = 0; k < node.Inputs.Length; k++)
                {
                    var input = node.Inputs[k];
                    var ig = inputGrads[k];
                    if (ig is null || !input.RequiresGradFlag) continue;
                    CheckGradShape(node.Name, input, ig);
                    grads[input] = grads.TryGetValue(input, out var existing) ? existing.add(ig) : ig;
                }
                // The graph is freed as it is consumed, as PyTorch does without retain_graph.
                tensor.GradFn = null;
            }
        }
    }

    private static void AccumulateIntoLeaf(Tensor leaf, Tensor g)
    {
        if (leaf.grad is null)
        {
            var copy = g.clone();
            copy.DetachFromDisposeScope();
            leaf.grad = copy;
        }
        else
        {
            leaf.grad.add_(g);
        }
    }

    private static void CheckGradShape(string op, Tensor input, Tensor grad)
    {
        if (!Shape.SameShape(input.Shape_, grad.Shape_))
            throw new InvalidOperationException(
                $"internal: backward of {op} produced a gradient of shape {Shape.Format(grad.Shape_)} for an input of shape {Shape.Format(input.Shape_)}");
    }

    /// <summary>Tensors reachable from the root, each after everything it depends on (iterative: deep graphs must not overflow the stack).</summary>
    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, bool Expanded)>();
        stack.Push((root, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded)
            {
                order.Add(t);
                continue;
            }
            if (!visited.Add(t)) continue;
            stack.Push((t, true));
            if (t.GradFn is null) continue;
            foreach (var input in t.GradFn.Inputs)
                if (input.RequiresGradFlag && !visited.Contains(input)) stack.Push((input, false));
        }
        return order;
    }
}
