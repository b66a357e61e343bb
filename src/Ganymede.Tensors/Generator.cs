namespace Ganymede;

/// <summary>
/// A seedable random source (xoshiro256**): the same seed gives the same numbers on every machine and
/// .NET version, which System.Random does not promise. Safe to share between threads, as PyTorch's default
/// generator is: each call draws under the generator's lock, so concurrent callers get different numbers
/// instead of corrupting the state (an all-zero xoshiro state would draw zeros for ever). Fill a tensor with
/// <see cref="FillUniform"/> or <see cref="FillNormal"/>, which take the lock once for the whole span.
/// </summary>
public sealed class Generator
{
    private readonly Lock _sync = new();
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    public Generator(ulong seed) => manual_seed(seed);

    public Generator manual_seed(ulong seed)
    {
        lock (_sync)
        {
            // SplitMix64 spreads any seed (0 included) over the whole state.
            ulong x = seed;
            _s0 = SplitMix(ref x);
            _s1 = SplitMix(ref x);
            _s2 = SplitMix(ref x);
            _s3 = SplitMix(ref x);
            _spareNormal = null;
        }
        return this;
    }

    public ulong NextUInt64()
    {
        lock (_sync) return Next();
    }

    /// <summary>Fills <paramref name="values"/> with the same numbers as that many <see cref="NextUInt64"/> calls, under one lock.</summary>
    public void FillBits(Span<ulong> values)
    {
        lock (_sync)
            for (int i = 0; i < values.Length; i++) values[i] = Next();
    }

    /// <summary>Uniform in [0, 1), 24 random bits, so every float in the range is exact.</summary>
    public float NextFloat()
    {
        lock (_sync) return Uniform();
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble()
    {
        lock (_sync) return UniformDouble();
    }

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n)
    {
        lock (_sync) return Below(n);
    }

    /// <summary>Standard normal by the Box–Muller transform.</summary>
    public float NextNormal()
    {
        lock (_sync) return Normal();
    }

    /// <summary>Fills <paramref name="values"/> with uniforms in [0, 1), the same numbers as that many <see cref="NextFloat"/> calls.</summary>
    public void FillUniform(Span<float> values)
    {
        lock (_sync)
            for (int i = 0; i < values.Length; i++) values[i] = Uniform();
    }

    /// <summary>Fills <paramref name="values"/> with standard normals, the same numbers as that many <see cref="NextNormal"/> calls.</summary>
    public void FillNormal(Span<float> values)
    {
        lock (_sync)
            for (int i = 0; i < values.Length; i++) values[i] = Normal();
    }

    /// <summary>Fisher–Yates shuffle of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        lock (_sync)
            for (int i = n - 1; i > 0; i--)
            {
                int j = Below(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
        return p;
    }

    // The draws below are called with the lock held.

    private ulong Next()
    {
        ulong result = RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    private int Below(int n) => (int)(Next() % (ulong)n);

    private float Uniform() => (Next() >> 40) * (1.0f / (1 << 24));

    private double UniformDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    private float Normal()
    {
        if (_spareNormal is double spare)
        {
            _spareNormal = null;
            return (float)spare;
        }
        double u1 = 1.0 - UniformDouble(), u2 = UniformDouble();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = r * Math.Sin(2 * Math.PI * u2);
        return (float)(r * Math.Cos(2 * Math.PI * u2));
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
