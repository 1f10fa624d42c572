namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>Seeded random data and tolerance assertions shared by the op-level tensor tests.</summary>
internal static class TensorTestUtil
{
    /// <summary>Uniform values in [−scale, scale], deterministic in the seed.</summary>
    public static float[] Uniform(int count, int seed, double scale = 1.0)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return values;
    }

    /// <summary>
    /// Asserts |actual − expected| ≤ rel·(1 + max(|expected|, magnitude)) for every element (NaN always fails) and
    /// reports the number of failures and the worst element. <paramref name="magnitude"/> is the typical size of the
    /// result (e.g. its RMS) for ops whose float rounding scales with the operands, not with a cancelled-out output.
    /// </summary>
    public static void AssertClose(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected, double rel, string what, double magnitude = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        int failures = 0, worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            double tol = rel * (1 + Math.Max(Math.Abs(expected[i]), magnitude));
            if (!(err <= tol))
            {
                failures++;
                double ratio = double.IsNaN(err) ? double.PositiveInfinity : err / tol;
                if (worst < 0 || ratio > worstRatio) { worst = i; worstRatio = ratio; }
            }
        }
        if (failures > 0)
            Assert.Fail($"{what}: {failures} of {actual.Length} values outside |a−b| ≤ {rel:g3}·(1+max(|ref|, {magnitude:g3})); worst at [{worst}]: " +
                        $"got {actual[worst]:R}, expected {expected[worst]:R} ({worstRatio:g3}× the tolerance).");
    }

    /// <summary>Root mean square of the values.</summary>
    public static double Rms(ReadOnlySpan<double> values)
    {
        double sum = 0;
        foreach (double v in values) sum += v * v;
        return values.Length == 0 ? 0 : Math.Sqrt(sum / values.Length);
    }

    /// <summary>Largest |a − b| over two equal-length arrays.</summary>
    public static double MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<double> b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>Bit-for-bit equality (so NaN payloads and signed zeros count).</summary>
    public static void AssertBitwiseEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element [{i}] differs: expected {expected[i]:R}, got {actual[i]:R}.");
    }

    /// <summary>Double-precision erf, accurate to ~1e-15 (Taylor-type series below 3, continued fraction for erfc above).</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return -Erf(-x);
        if (x < 3) return ErfSeries(x);
        return 1 - Erfc(x);
    }

    /// <summary>Double-precision erfc = 1 − erf, without cancellation for large x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        if (x < 0) return 2 - Erfc(-x);
        if (x < 3) return 1 - ErfSeries(x);
        return ErfcContinuedFraction(x);
    }

    /// <summary>erf(x) = 2/√π · e^{−x²} · Σ 2ⁿ x^{2n+1} / (1·3·…·(2n+1)): all terms positive, no cancellation.</summary>
    public static double ErfSeries(double x)
    {
        double term = x, sum = x;
        for (int n = 1; n < 200; n++)
        {
            term *= 2 * x * x / (2 * n + 1);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
    }

    /// <summary>erfc(x) = e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with the modified Lentz method.</summary>
    public static double ErfcContinuedFraction(double x)
    {
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 500; n++)
        {
            double an = n / 2.0;
            d = x + an * d;
            if (Math.Abs(d) < tiny) d = tiny;
            c = x + an / c;
            if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    /// <summary>Exact GELU in double: 0.5·x·(1 + erf(x/√2)), via erfc for negative x (no cancellation).</summary>
    public static double Gelu(double x)
    {
        double z = x / Math.Sqrt(2);
        return x >= 0 ? 0.5 * x * (1 + Erf(z)) : 0.5 * x * Erfc(-z);
    }
}
