using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;
using static SlicerBridge.Inference.Tests.Tensors.TensorTestUtil;

namespace SlicerBridge.Inference.Tests.Tensors;

/// <summary>
/// CpuBackend.CreateLinear + Linear against y = act(x·Wᵀ + b) (or y_old + x·Wᵀ + b when accumulating) in double,
/// W given PyTorch-style (out × in, row-major). Tolerance 1e-5·(1 + max(|ref|, rms(ref))).
/// </summary>
public class LinearTests
{
    private const double Tol = 1e-5;

    private static double[] Reference(float[] x, float[] w, float[] bias, int m, int inF, int outF, Activation act, float[]? yOld)
    {
        var y = new double[m * outF];
        for (int i = 0; i < m; i++)
            for (int o = 0; o < outF; o++)
            {
                double sum = bias.Length == 0 ? 0 : bias[o];
                for (int p = 0; p < inF; p++) sum += (double)x[i * inF + p] * w[o * inF + p];
                sum = act switch
                {
                    Activation.Relu => Math.Max(sum, 0),
                    Activation.Gelu => Gelu(sum),
                    _ => sum,
                };
                y[i * outF + o] = sum + (yOld is null ? 0 : yOld[i * outF + o]);
            }
        return y;
    }

    [Theory]
    [InlineData(37, 50, 70, Activation.None, true)]
    [InlineData(37, 50, 70, Activation.Relu, true)]
    [InlineData(37, 50, 70, Activation.Gelu, true)]
    [InlineData(5, 768, 3, Activation.None, true)]
    [InlineData(5, 768, 3, Activation.Gelu, false)]
    [InlineData(1, 1, 1, Activation.None, true)]
    [InlineData(200, 96, 300, Activation.Gelu, true)]   // 60,000 outputs: parallel bias/activation rows
    [InlineData(200, 96, 300, Activation.Relu, false)]  // no bias: zeros
    public void MatchesReference(int m, int inF, int outF, Activation act, bool withBias)
    {
        var x = Uniform(m * inF, 1000 + m, 2);
        var w = Uniform(outF * inF, 2000 + outF, 1 / Math.Sqrt(inF) * 2);
        var bias = withBias ? Uniform(outF, 3000 + outF, 1) : [];
        var be = CpuBackend.Instance;
        var weights = be.CreateLinear(w, outF, inF, bias);
        Assert.Equal(inF, weights.InFeatures);
        Assert.Equal(outF, weights.OutFeatures);
        var y = new Tensor(Uniform(m * outF, 4000, 100), m, outF);   // garbage: must be overwritten
        be.Linear(new Tensor(x, m, inF), weights, y, act);
        var expected = Reference(x, w, bias, m, inF, outF, act, null);
        AssertClose(y.Data, expected, Tol, $"Linear {m}×{inF}→{outF} {act}", Rms(expected));
    }

    [Theory]
    [InlineData(37, 50, 70)]
    [InlineData(200, 96, 300)]
    [InlineData(7, 300, 17)]
    public void Accumulate_AddsResidual(int m, int inF, int outF)
    {
        var x = Uniform(m * inF, 5000 + m, 2);
        var w = Uniform(outF * inF, 6000 + outF, 1 / Math.Sqrt(inF) * 2);
        var bias = Uniform(outF, 7000 + outF, 1);
        var yOld = Uniform(m * outF, 8000, 5);
        var be = CpuBackend.Instance;
        var y = new Tensor((float[])yOld.Clone(), m, outF);
        be.Linear(new Tensor(x, m, inF), be.CreateLinear(w, outF, inF, bias), y, accumulate: true);
        var expected = Reference(x, w, bias, m, inF, outF, Activation.None, yOld);
        AssertClose(y.Data, expected, Tol, $"accumulating Linear {m}×{inF}→{outF}", Rms(expected));
    }

    [Fact]
    public void ThreeDimensionalInput_IsRowsTimesFeatures()
    {
        // Tokens shaped [4, 5, in]: rows = 20.
        const int inF = 12, outF = 9;
        var x = Uniform(20 * inF, 9000, 1);
        var w = Uniform(outF * inF, 9001, 1);
        var bias = Uniform(outF, 9002, 1);
        var be = CpuBackend.Instance;
        var y = Tensor.Zeros(4, 5, outF);
        be.Linear(new Tensor(x, 4, 5, inF), be.CreateLinear(w, outF, inF, bias), y);
        AssertClose(y.Data, Reference(x, w, bias, 20, inF, outF, Activation.None, null), Tol, "3-D Linear");
    }

    [Fact]
    public void WrongShapesThrow()
    {
        var be = CpuBackend.Instance;
        Assert.Throws<ArgumentException>(() => be.CreateLinear(new float[11], 3, 4, []));
        Assert.Throws<ArgumentException>(() => be.CreateLinear(new float[12], 3, 4, new float[4]));
        var weights = be.CreateLinear(Uniform(12, 1), 3, 4, new float[3]);
        Assert.Throws<ArgumentException>(() => be.Linear(Tensor.Zeros(5, 5), weights, Tensor.Zeros(5, 3)));   // in features
        Assert.Throws<ArgumentException>(() => be.Linear(Tensor.Zeros(5, 4), weights, Tensor.Zeros(5, 4)));   // out features
        Assert.Throws<ArgumentException>(() => be.Linear(Tensor.Zeros(5, 4), weights, Tensor.Zeros(6, 3)));   // rows
        Assert.Throws<ArgumentException>(() => be.Linear(Tensor.Zeros(5, 4), weights, Tensor.Zeros(4, 3)));
        be.Linear(Tensor.Zeros(5, 4), weights, Tensor.Zeros(5, 3));                                          // the right shapes pass
    }

    [Theory]
    [InlineData(Activation.Relu)]
    [InlineData(Activation.Gelu)]
    public void AccumulateWithActivationThrows(Activation act)
    {
        var be = CpuBackend.Instance;
        var weights = be.CreateLinear(Uniform(12, 1), 3, 4, new float[3]);
        Assert.Throws<ArgumentException>(() => be.Linear(Tensor.Zeros(5, 4), weights, Tensor.Zeros(5, 3), act, accumulate: true));
    }
}
