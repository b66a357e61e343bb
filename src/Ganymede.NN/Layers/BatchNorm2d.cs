namespace Ganymede.NN;

/// <summary>Batch normalisation over channels of [N, C, H, W], with running statistics for evaluation.</summary>
public sealed class BatchNorm2d : Module
{
    public BatchNorm2d(int num_features, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    {
        if (num_features <= 0) throw new ArgumentException($"BatchNorm2d: num_features must be positive, got {num_features}");
        (this.num_features, this.eps, this.momentum) = (num_features, eps, momentum);
        if (affine)
        {
            weight = register_parameter("weight", torch.ones(num_features));
            bias = register_parameter("bias", torch.zeros(num_features));
        }
        running_mean = register_buffer("running_mean", torch.zeros(num_features));
        running_var = register_buffer("running_var", torch.ones(num_features));
        num_batches_tracked = register_buffer("num_batches_tracked", torch.zeros([], DType.Int64));
    }

    public int num_features { get; }
    public float eps { get; }
    public float momentum { get; }

    public Tensor? weight { get; }
    public Tensor? bias { get; }
    public Tensor running_mean { get; }
    public Tensor running_var { get; }
    public Tensor num_batches_tracked { get; }

    public override Tensor forward(Tensor input)
    {
        Count(input);
        return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps);
    }

    /// <summary>relu(forward(input)) in one fused operation, while training (<see cref="DoubleConv"/> uses it).</summary>
    internal Tensor ForwardWithRelu(Tensor input)
    {
        if (!training) throw new InvalidOperationException("BatchNorm2d: the fused ReLU is for training only");
        Count(input);
        return Ops.BatchNorm.Apply(input, running_mean, running_var, weight, bias, training, momentum, eps, relu: true);
    }

    private void Count(Tensor input)
    {
        if (input.dim() != 4) throw new ShapeException($"BatchNorm2d: expects a 4-D input [N, C, H, W], got [{string.Join(", ", input.shape)}]");
        if (!training) return;
        using var _ = torch.no_grad();
        num_batches_tracked.copy_(torch.tensor([num_batches_tracked.ToInt64Array()[0] + 1], []));
    }
}
