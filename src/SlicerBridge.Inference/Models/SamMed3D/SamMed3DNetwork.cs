using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.SamMed3D;

/// <summary>
/// SAM-Med3D (vit_b_ori; the turbo checkpoint's architecture) on ONNX Runtime: the graphs of <see cref="SamMed3DGraphs"/>
/// over the checkpoint's weights (bound without a copy), in two sessions on the device asked for.
/// </summary>
public sealed class SamMed3DNetwork : ISamMed3DNetwork
{
    private readonly WeightSet _weights;
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _decoder;
    private readonly OrtMemoryInfo? _deviceMemory;

    private SamMed3DNetwork(SamMed3DConfig config, WeightSet weights, ExecutionDevice device, ModelPrecision precision)
    {
        Config = config;
        Precision = precision;
        _weights = weights;
        var encoder = SamMed3DGraphs.Encoder(config, weights, precision);
        var decoder = SamMed3DGraphs.Decoder(config, weights, precision);
        (_encoder, Execution) = SessionFactory.Create(encoder.Build().ToByteArray(), weights, device);
        try
        {
            // The decoder goes where the encoder went (auto has been resolved by now).
            (_decoder, _) = SessionFactory.Create(decoder.Build().ToByteArray(), weights, Execution.Device);
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
        if (Execution.IsGpu)
            _deviceMemory = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, Execution.Device.DeviceId, OrtMemType.Default);
    }

    public static SamMed3DNetwork Load(ICheckpoint checkpoint, SamMed3DConfig config, ExecutionDevice device = default,
        ModelPrecision precision = ModelPrecision.Fp32)
    {
        config.Validate();
        var weights = SamMed3DWeights.Load(checkpoint, config);
        try { return new SamMed3DNetwork(config, weights, device, precision); }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public static SamMed3DNetwork Load(string checkpointPath, SamMed3DConfig config, ExecutionDevice device = default,
        ModelPrecision precision = ModelPrecision.Fp32)
    {
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        return Load(checkpoint, config, device, precision);
    }

    public SamMed3DConfig Config { get; }
    public ExecutionChoice Execution { get; }
    public ModelPrecision Precision { get; }
    public long WeightBytes => _weights.Bytes;
    public int ImageSize => Config.ImageSize;
    public int LowResSize => Config.LowResSize;

    public SamImageEmbedding EncodeImage(ReadOnlySpan<float> crop, CancellationToken cancellationToken, bool toHost = false)
    {
        int s = Config.ImageSize, g = Config.Grid, c = Config.PromptEmbedDim;
        if (crop.Length != s * s * s) throw new ArgumentException($"The encoder takes a {s}³ crop, got {crop.Length} values.");
        var input = crop.ToArray();
        using var inputValue = OrtValue.CreateTensorValueFromMemory(input, [1, 1, s, s, s]);
        using var binding = _encoder.CreateIoBinding();
        binding.BindInput(SamMed3DGraphs.Image, inputValue);
        if (_deviceMemory is not null && !toHost)
        {
            binding.BindOutputToDevice(SamMed3DGraphs.Embedding, _deviceMemory);
            BoundRun.Run(_encoder, binding, cancellationToken);
            var outputs = binding.GetOutputValues();   // ownership of the device value passes to the embedding
            return new SamImageEmbedding(null, outputs[0], c, g);
        }
        var host = new float[c * g * g * g];
        using var output = OrtValue.CreateTensorValueFromMemory(host, [1, c, g, g, g]);
        binding.BindOutput(SamMed3DGraphs.Embedding, output);
        BoundRun.Run(_encoder, binding, cancellationToken);
        return new SamImageEmbedding(host, c, g);
    }

    public SamDecoderOutput Decode(SamImageEmbedding embedding, ReadOnlySpan<SamPoint> points, ReadOnlySpan<float> previousLowResLogits,
        bool withIntermediates = false, CancellationToken cancellationToken = default)
    {
        int g = Config.Grid, c = Config.PromptEmbedDim, r = Config.LowResSize, n = points.Length;
        if (embedding.Channels != c || embedding.Grid != g) throw new ArgumentException("The embedding was made by a different configuration.");
        if (!previousLowResLogits.IsEmpty && previousLowResLogits.Length != r * r * r)
            throw new ArgumentException($"The mask prompt must be {r}³ logits, got {previousLowResLogits.Length}.");
        var coords = new float[3 * n];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            var p = points[i];
            if (p.Label is not (0 or 1)) throw new ArgumentException($"Point label {p.Label} is not supported (1 positive, 0 negative).");
            (coords[3 * i], coords[3 * i + 1], coords[3 * i + 2], labels[i]) = (p.A0, p.A1, p.A2, p.Label);
        }
        var mask = new float[r * r * r];
        previousLowResLogits.CopyTo(mask);

        var owned = new List<OrtValue>();
        OrtValue Over(float[] data, params long[] shape)
        {
            var v = OrtValue.CreateTensorValueFromMemory(data, shape);
            owned.Add(v);
            return v;
        }
        try
        {
            using var binding = _decoder.CreateIoBinding();
            binding.BindInput(SamMed3DGraphs.Embedding, embedding.Device ?? Over(embedding.Data, 1, c, g, g, g));
            binding.BindInput(SamMed3DGraphs.PointCoords, Over(coords, 1, n, 3));
            binding.BindInput(SamMed3DGraphs.PointLabels, Over(labels, 1, n));
            binding.BindInput(SamMed3DGraphs.MaskInput, Over(mask, 1, 1, r, r, r));
            float[] logits = new float[r * r * r], iou = new float[1];
            binding.BindOutput(SamMed3DGraphs.LowResLogits, Over(logits, 1, 1, r, r, r));
            binding.BindOutput(SamMed3DGraphs.Iou, Over(iou, 1, 1));
            float[]? sparse = null, dense = null, densePe = null;
            if (withIntermediates)
            {
                binding.BindOutput(SamMed3DGraphs.SparseEmbeddings, Over(sparse = new float[(n + 1) * c], 1, n + 1, c));
                binding.BindOutput(SamMed3DGraphs.DenseEmbeddings, Over(dense = new float[c * g * g * g], 1, c, g, g, g));
                binding.BindOutput(SamMed3DGraphs.DensePe, Over(densePe = new float[c * g * g * g], 1, c, g, g, g));
            }
            BoundRun.Run(_decoder, binding, cancellationToken);
            return new SamDecoderOutput { LowResLogits = logits, Iou = iou[0], SparseEmbedding = sparse, DenseEmbedding = dense, DensePe = densePe };
        }
        finally
        {
            foreach (var v in owned) v.Dispose();
        }
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
        _deviceMemory?.Dispose();
        _weights.Dispose();
    }
}
