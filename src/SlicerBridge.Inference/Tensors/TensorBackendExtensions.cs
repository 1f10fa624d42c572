namespace SlicerBridge.Inference.Tensors;

/// <summary>Shape helpers and allocating forms of the layout ops.</summary>
public static class TensorBackendExtensions
{
    public static int[] Im2ColShape(int grid, int columns, int kernel, int stride, int pad)
    {
        int outGrid = (grid + 2 * pad - kernel) / stride + 1;
        return [outGrid * outGrid * outGrid, kernel * kernel * kernel * columns];
    }

    public static Tensor Im2Col(this ITensorBackend backend, Tensor x, int grid, int kernel, int stride, int pad)
    {
        var output = Tensor.Zeros(Im2ColShape(grid, x.Columns, kernel, stride, pad));
        backend.Im2Col(x, grid, kernel, stride, pad, output);
        return output;
    }

    public static Tensor DepthToSpace2(this ITensorBackend backend, Tensor x, int grid)
    {
        if (x.Columns % 8 != 0) throw new ArgumentException($"DepthToSpace2: {x} is not [{grid}³, 8·C].");
        var output = Tensor.Zeros(8 * grid * grid * grid, x.Columns / 8);
        backend.DepthToSpace2(x, grid, output);
        return output;
    }
}
