namespace SlicerBridge.Inference.Tensors;

/// <summary>Element-wise activation fused into an op's epilogue.</summary>
public enum Activation
{
    None,
    Relu,
    /// <summary>Exact GELU, 0.5·x·(1 + erf(x/√2)) (PyTorch's nn.GELU default).</summary>
    Gelu,
}
