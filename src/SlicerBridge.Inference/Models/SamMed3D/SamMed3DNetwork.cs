using System.Diagnostics;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Tensors;
using SlicerBridge.Inference.Tensors.Cpu;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// SAM-Med3D (vit_b_ori; the turbo checkpoint's architecture) on a tensor backend: <see cref="ImageEncoder"/>,
/// <see cref="PromptEncoder"/>, <see cref="MaskDecoder"/>, built from a configuration and a checkpoint whose keys and
/// shapes are all checked before anything is loaded.
/// </summary>
public sealed class SamMed3DNetwork : ISamMed3DNetwork
{
    private readonly ImageEncoder _encoder;
    private readonly PromptEncoder _prompt;
    private readonly MaskDecoder _decoder;

    private SamMed3DNetwork(SamMed3DConfig config, SamWeights weights)
    {
        Config = config;
        Backend = weights.Backend;
        _encoder = new ImageEncoder(config, weights);
        _prompt = new PromptEncoder(config, weights);
        _decoder = new MaskDecoder(config, weights);
        WeightBytes = weights.LoadedBytes;
    }

    public static SamMed3DNetwork Load(ICheckpoint checkpoint, SamMed3DConfig config, ITensorBackend? backend = null)
    {
        config.Validate();
        CheckpointReader.RequireShapes(checkpoint, SamMed3DCheckpointLayout.Expected(config));
        return new SamMed3DNetwork(config, new SamWeights(checkpoint, backend ?? CpuBackend.Instance));
    }

    public static SamMed3DNetwork Load(string checkpointPath, SamMed3DConfig config, ITensorBackend? backend = null)
    {
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        return Load(checkpoint, config, backend);
    }

    public SamMed3DConfig Config { get; }
    public ITensorBackend Backend { get; }
    public long WeightBytes { get; }
    public int ImageSize => Config.ImageSize;
    public int LowResSize => Config.LowResSize;

    /// <summary>Dense PE, channels-first C × G³ (the fixture's <c>dense_pe.npy</c> layout).</summary>
    public float[] DensePeChannelsFirst() => ToChannelsFirst(_prompt.DensePe);

    public SamImageEmbedding EncodeImage(ReadOnlySpan<float> crop, CancellationToken cancellationToken)
    {
        using var arena = new TensorArena();
        var embedding = _encoder.Forward(crop, arena, cancellationToken);
        return new SamImageEmbedding(ToChannelsFirst(embedding), Config.PromptEmbedDim, Config.Grid);
    }

    public SamDecoderOutput Decode(SamImageEmbedding embedding, ReadOnlySpan<SamPoint> points, ReadOnlySpan<float> previousLowResLogits,
        bool withIntermediates = false)
    {
        int g = Config.Grid, c = Config.PromptEmbedDim;
        if (embedding.Channels != c || embedding.Grid != g) throw new ArgumentException("The embedding was made by a different configuration.");
        using var arena = new TensorArena();
        var sparse = _prompt.EmbedPoints(points);
        var dense = _prompt.EmbedMask(previousLowResLogits, arena);
        var image = new Tensor(embedding.ChannelsLast(), g * g * g, c);
        var (logits, iou) = _decoder.Forward(image, _prompt.DensePe, sparse, dense, arena);
        return new SamDecoderOutput
        {
            LowResLogits = logits,
            Iou = iou,
            SparseEmbedding = withIntermediates ? sparse.Data : null,
            DenseEmbedding = withIntermediates ? ToChannelsFirst(dense) : null,
        };
    }

    private static float[] ToChannelsFirst(Tensor x)
    {
        var result = new float[x.Length];
        TensorLayout.Transpose(x.Data, x.Rows, x.Columns, result);
        return result;
    }

    public void Dispose() { }
}
