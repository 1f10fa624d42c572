namespace SlicerBridge.Inference.Onnx;

/// <summary>The ONNX operators the model builders use, one method each (opset <see cref="Opset"/>).</summary>
public sealed partial class GraphBuilder
{
    public string Add(string a, string b, string? name = null) => Node("Add", [a, b], name);
    public string Sub(string a, string b, string? name = null) => Node("Sub", [a, b], name);
    public string Mul(string a, string b, string? name = null) => Node("Mul", [a, b], name);
    public string Div(string a, string b, string? name = null) => Node("Div", [a, b], name);
    public string MatMul(string a, string b, string? name = null) => Node("MatMul", [a, b], name);
    public string Relu(string x, string? name = null) => Node("Relu", [x], name);
    public string Erf(string x, string? name = null) => Node("Erf", [x], name);
    public string Sin(string x, string? name = null) => Node("Sin", [x], name);
    public string Cos(string x, string? name = null) => Node("Cos", [x], name);

    /// <summary>a [M,K] · bᵀ (b stored [N,K], as nn.Linear keeps its weight) + c [N] → [M,N].</summary>
    public string Gemm(string a, string b, string? c, string? name = null) =>
        Node("Gemm", c is null ? [a, b] : [a, b, c], name, ("transB", 1));

    public string Reshape(string x, long[] shape, string? name = null) => Node("Reshape", [x, Ints(shape)], name);
    public string Transpose(string x, long[] perm, string? name = null) => Node("Transpose", [x], name, ("perm", perm));
    public string Softmax(string x, int axis = -1, string? name = null) => Node("Softmax", [x], name, ("axis", axis));
    public string Concat(int axis, string[] inputs, string? name = null) => Node("Concat", inputs, name, ("axis", axis));
    public string Unsqueeze(string x, long[] axes, string? name = null) => Node("Unsqueeze", [x, Ints(axes)], name);
    public string Squeeze(string x, long[] axes, string? name = null) => Node("Squeeze", [x, Ints(axes)], name);
    public string Expand(string x, long[] shape, string? name = null) => Node("Expand", [x, Ints(shape)], name);

    /// <summary>Elements <paramref name="start"/>..<paramref name="end"/> (exclusive) along each of <paramref name="axes"/>.</summary>
    public string Slice(string x, long[] start, long[] end, long[] axes, string? name = null) =>
        Node("Slice", [x, Ints(start), Ints(end), Ints(axes)], name);

    public string Gather(string x, string indices, int axis = 0, string? name = null) => Node("Gather", [x, indices], name, ("axis", axis));

    public string ReduceLogSumExp(string x, long[] axes, bool keepDims, string? name = null) =>
        Node("ReduceLogSumExp", [x, Ints(axes)], name, ("keepdims", keepDims ? 1 : 0));

    /// <summary>Normalises over the last axis: (x − mean)/√(var + eps)·w + b (population variance).</summary>
    public string LayerNormalization(string x, string weight, string bias, float epsilon, string? name = null) =>
        Node("LayerNormalization", [x, weight, bias], name, ("axis", -1), ("epsilon", epsilon));

    /// <summary>x [N,C,D,H,W] * w [O,C,kd,kh,kw] with equal strides and padding on every axis.</summary>
    public string Conv(string x, string weight, string? bias, int kernel, int stride, int pad, string? name = null) =>
        Node("Conv", bias is null ? [x, weight] : [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel, kernel }), ("strides", new long[] { stride, stride, stride }),
            ("pads", new long[] { pad, pad, pad, pad, pad, pad }));

    /// <summary>Transposed convolution x [N,C,D,H,W], w [C,O,k,k,k], stride = kernel (no overlap).</summary>
    public string ConvTranspose(string x, string weight, string bias, int kernel, string? name = null) =>
        Node("ConvTranspose", [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel, kernel }), ("strides", new long[] { kernel, kernel, kernel }));

    public string Sigmoid(string x, string? name = null) => Node("Sigmoid", [x], name);
    public string LeakyRelu(string x, float alpha, string? name = null) => Node("LeakyRelu", [x], name, ("alpha", alpha));

    /// <summary>x where x ≥ 0, slope·x elsewhere; slope broadcasts (a single learned slope is shape [1]).</summary>
    public string PRelu(string x, string slope, string? name = null) => Node("PRelu", [x, slope], name);


    /// <summary>1 where a = b, else 0, as float32 (Equal then Cast).</summary>
    public string EqualAsFloat(string a, string b, string? name = null) =>
        Node("Cast", [Node("Equal", [a, b])], name, ("to", (long)global::Onnx.TensorProto.Types.DataType.Float));

    public string ReduceMean(string x, long[] axes, bool keepDims, string? name = null) =>
        Node("ReduceMean", [x, Ints(axes)], name, ("keepdims", keepDims ? 1 : 0));

    /// <summary>Eval-mode BatchNorm over axis 1: (x − mean)/√(var + eps)·w + b.</summary>
    public string BatchNormalization(string x, string weight, string bias, string mean, string variance, float epsilon, string? name = null) =>
        Node("BatchNormalization", [x, weight, bias, mean, variance], name, ("epsilon", epsilon));

    /// <summary>Per sample and channel over the spatial axes (population variance), then scale·x̂ + bias (both [C]).</summary>
    public string InstanceNormalization(string x, string scale, string bias, float epsilon, string? name = null) =>
        Node("InstanceNormalization", [x, scale, bias], name, ("epsilon", epsilon));

    /// <summary>
    /// Linear resize to <paramref name="sizes"/> with half-pixel centres and edge clamping: PyTorch
    /// <c>F.interpolate(mode="trilinear", align_corners=False)</c> without antialiasing.
    /// </summary>
    public string ResizeLinear(string x, long[] sizes, string? name = null) =>
        Node("Resize", [x, "", "", Ints(sizes)], name, ("mode", "linear"), ("coordinate_transformation_mode", "half_pixel"));

    /// <summary>Grouped 3-D convolution (groups = channels: depthwise), equal kernel/stride/padding on every axis.</summary>
    public string ConvGrouped(string x, string weight, string? bias, int kernel, int stride, int pad, int groups, string? name = null) =>
        Node("Conv", bias is null ? [x, weight] : [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel, kernel }), ("strides", new long[] { stride, stride, stride }),
            ("pads", new long[] { pad, pad, pad, pad, pad, pad }), ("group", groups));

    /// <summary>Transposed 3-D convolution with its own stride, padding and output padding (MONAI's up-sampling: k3, s2, p1, op1).</summary>
    public string ConvTranspose(string x, string weight, string bias, int kernel, int stride, int pad, int outputPadding, string? name = null) =>
        Node("ConvTranspose", [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel, kernel }), ("strides", new long[] { stride, stride, stride }),
            ("pads", new long[] { pad, pad, pad, pad, pad, pad }), ("output_padding", new long[] { outputPadding, outputPadding, outputPadding }));

    /// <summary>x [N,C,H,W] * w [O,C,k,k], square kernel, equal stride and zero padding on both axes.</summary>
    public string Conv2d(string x, string weight, string? bias, int kernel, int stride, int pad, string? name = null) =>
        Node("Conv", bias is null ? [x, weight] : [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }), ("pads", new long[] { pad, pad, pad, pad }));

    /// <summary>Transposed convolution x [N,C,H,W], w [C,O,k,k] (PyTorch's ConvTranspose2d layout), stride and padding on both axes.</summary>
    public string ConvTranspose2d(string x, string weight, string? bias, int kernel, int stride, int pad, string? name = null) =>
        Node("ConvTranspose", bias is null ? [x, weight] : [x, weight, bias], name,
            ("kernel_shape", new long[] { kernel, kernel }), ("strides", new long[] { stride, stride }), ("pads", new long[] { pad, pad, pad, pad }));
}
