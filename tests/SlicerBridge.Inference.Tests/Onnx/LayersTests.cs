using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.Onnx;
using Xunit;

namespace SlicerBridge.Inference.Tests.Onnx;

/// <summary>The shared blocks against plain double-precision references (tolerance 1e-5 relative).</summary>
public sealed class LayersTests
{
    private static float[] Run(GraphBuilder g, WeightSet weights, string input, float[] x, long[] shape, string output)
    {
        var (session, _) = SessionFactory.Create(g.Build().ToByteArray(), weights, ExecutionDevice.Cpu);
        using (session)
        {
            using var value = OrtValue.CreateTensorValueFromMemory(x, shape);
            using var results = session.Run(new RunOptions(), new Dictionary<string, OrtValue> { [input] = value }, [output]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"[{i}] expected {expected[i]}, got {actual[i]}");
    }

    private static double Erf(double x)
    {
        // Abramowitz–Stegun 7.1.26 is too coarse here: integrate the series instead (|x| ≤ 6).
        double sum = 0, term = x;
        for (int n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -x * x / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }

    [Fact]
    public void Gelu_is_the_exact_erf_form()
    {
        using var weights = new WeightSet();
        var g = new GraphBuilder("gelu", weights);
        var x = g.Input("x", 41);
        g.Output(g.Gelu(x), "y", 41);
        var input = Enumerable.Range(0, 41).Select(i => (i - 20) / 4f).ToArray();
        AssertClose(input.Select(v => 0.5 * v * (1 + Erf(v / Math.Sqrt(2)))).ToArray(), Run(g, weights, "x", input, [41], "y"));
    }

    [Fact]
    public void LayerNorm3d_normalises_each_voxel_over_its_channels()
    {
        const int c = 3, n = 8;
        using var weights = new WeightSet();
        weights.Add("ln.weight", [1f, 2f, -0.5f], [c]);
        weights.Add("ln.bias", [0.1f, 0f, 3f], [c]);
        var g = new GraphBuilder("ln3d", weights);
        var x = g.Input("x", 1, c, 2, 2, 2);
        g.Output(g.LayerNorm3d(x, "ln", 1e-6f), "y", 1, c, 2, 2, 2);
        var rng = new Random(5);
        var input = Enumerable.Range(0, c * n).Select(_ => (float)(rng.NextDouble() * 10 - 3)).ToArray();
        var expected = new double[c * n];
        float[] w = [1f, 2f, -0.5f], b = [0.1f, 0f, 3f];
        for (int v = 0; v < n; v++)
        {
            double mean = Enumerable.Range(0, c).Average(ch => input[ch * n + v]);
            double var = Enumerable.Range(0, c).Average(ch => Math.Pow(input[ch * n + v] - mean, 2));
            for (int ch = 0; ch < c; ch++) expected[ch * n + v] = (input[ch * n + v] - mean) / Math.Sqrt(var + 1e-6) * w[ch] + b[ch];
        }
        AssertClose(expected, Run(g, weights, "x", input, [1, c, 2, 2, 2], "y"));
    }

    [Fact]
    public void Attention_is_softmax_of_scaled_dot_products_per_head()
    {
        const int dim = 4, heads = 2, nq = 3, nk = 5, hd = dim / heads;
        using var weights = new WeightSet();
        var rng = new Random(11);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var proj = new Dictionary<string, (float[] W, float[] B)>();
        foreach (var p in new[] { "q_proj", "k_proj", "v_proj", "out_proj" })
        {
            proj[p] = (R(dim * dim), R(dim));
            weights.Add($"a.{p}.weight", proj[p].W, [dim, dim]);
            weights.Add($"a.{p}.bias", proj[p].B, [dim]);
        }
        var keys = R(nk * dim);
        var queries = R(nq * dim);
        var g = new GraphBuilder("attn", weights);
        var q = g.Input("q", nq, dim);
        var kv = g.Constant(keys, nk, dim);
        g.Output(g.Attention(q, kv, kv, "a", heads, dim), "y", nq, dim);
        var actual = Run(g, weights, "q", queries, [nq, dim], "y");

        double[] Linear(float[] x, int rows, (float[] W, float[] B) l)
        {
            var y = new double[rows * dim];
            for (int r = 0; r < rows; r++)
                for (int o = 0; o < dim; o++)
                {
                    double s = l.B[o];
                    for (int i = 0; i < dim; i++) s += x[r * dim + i] * (double)l.W[o * dim + i];
                    y[r * dim + o] = s;
                }
            return y;
        }
        double[] qp = Linear(queries, nq, proj["q_proj"]), kp = Linear(keys, nk, proj["k_proj"]), vp = Linear(keys, nk, proj["v_proj"]);
        var merged = new float[nq * dim];
        for (int h = 0; h < heads; h++)
            for (int i = 0; i < nq; i++)
            {
                var logits = Enumerable.Range(0, nk).Select(j => Enumerable.Range(0, hd).Sum(d => qp[i * dim + h * hd + d] * kp[j * dim + h * hd + d]) / Math.Sqrt(hd)).ToArray();
                double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
                for (int d = 0; d < hd; d++)
                    merged[i * dim + h * hd + d] = (float)Enumerable.Range(0, nk).Sum(j => Math.Exp(logits[j] - max) / z * vp[j * dim + h * hd + d]);
            }
        AssertClose(Linear(merged, nq, proj["out_proj"]), actual);
    }
}
