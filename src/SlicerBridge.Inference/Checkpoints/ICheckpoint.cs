namespace SlicerBridge.Inference.Checkpoints;

/// <summary>
/// A read-only state dict: tensor names (already stripped of a <c>module.</c> prefix and unwrapped from
/// <c>model_state_dict</c> / <c>state_dict</c>) with their shapes, read on demand into caller buffers so a
/// large checkpoint is never held twice in memory.
/// </summary>
public interface ICheckpoint : IDisposable
{
    /// <summary>Path it was opened from (for messages).</summary>
    string Source { get; }

    /// <summary>Every tensor, in file order.</summary>
    IReadOnlyList<CheckpointTensorInfo> Tensors { get; }

    bool Contains(string name);

    /// <summary>Shape of a tensor (outermost first, PyTorch order). Throws <see cref="CheckpointException"/> if missing.</summary>
    int[] GetShape(string name);

    /// <summary>Copies a tensor into <paramref name="destination"/> as float32 (converting f16/bf16/f64), row-major.</summary>
    void ReadFloat32(string name, Span<float> destination);
}

/// <summary>Name, element type and shape of one checkpoint tensor.</summary>
public sealed record CheckpointTensorInfo(string Name, CheckpointDType DType, int[] Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

public enum CheckpointDType { Float32, Float16, BFloat16, Float64, Int64, Int32, UInt8, Bool }

/// <summary>Any problem reading a checkpoint: truncated or corrupt file, forbidden pickle global, missing key, wrong shape.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);
