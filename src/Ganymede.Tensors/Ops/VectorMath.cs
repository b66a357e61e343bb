using System.Numerics;

namespace Ganymede.Ops;

/// <summary>Vectorised loops over spans, shared by the bandwidth-bound kernels (batch norm, pooling).</summary>
internal static class VectorMath
{
    public static double Sum(ReadOnlySpan<float> x)
    {
        var acc = Vector<float>.Zero;
        int i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count) acc += new Vector<float>(x[i..]);
        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    /// <summary>Σ (x − c)², the centred second moment (two-pass variance avoids cancellation).</summary>
    public static double SumSquaredDeviation(ReadOnlySpan<float> x, float c)
    {
        var acc = Vector<float>.Zero;
        var vc = new Vector<float>(c);
        int i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
        {
            var d = new Vector<float>(x[i..]) - vc;
            acc += d * d;
        }
        double sum = Vector.Sum(acc);
        for (; i < x.Length; i++) sum += (x[i] - c) * (x[i] - c);
        return sum;
    }

    /// <summary>Σ a·(b − c).</summary>
    public static double DotCentred(ReadOnlySpan<float> a, ReadOnlySpan<float> b, float c)
    {
        var acc = Vector<float>.Zero;
        var vc = new Vector<float>(c);
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            acc += new Vector<float>(a[i..]) * (new Vector<float>(b[i..]) - vc);
        double sum = Vector.Sum(acc);
        for (; i < a.Length; i++) sum += a[i] * (b[i] - c);
        return sum;
    }

    /// <summary>y = x·scale + shift.</summary>
    public static void ScaleShift(ReadOnlySpan<float> x, Span<float> y, float scale, float shift)
    {
        var vs = new Vector<float>(scale);
        var vb = new Vector<float>(shift);
        int i = 0;
        for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count) (new Vector<float>(x[i..]) * vs + vb).CopyTo(y[i..]);
        for (; i < x.Length; i++) y[i] = x[i] * scale + shift;
    }

    /// <summary>y = a·p + b·q + r.</summary>
    public static void Combine(ReadOnlySpan<float> a, float p, ReadOnlySpan<float> b, float q, float r, Span<float> y)
    {
        var vp = new Vector<float>(p);
        var vq = new Vector<float>(q);
        var vr = new Vector<float>(r);
        int i = 0;
        for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            (new Vector<float>(a[i..]) * vp + new Vector<float>(b[i..]) * vq + vr).CopyTo(y[i..]);
        for (; i < a.Length; i++) y[i] = a[i] * p + b[i] * q + r;
    }
}
