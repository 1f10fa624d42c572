using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using SlicerBridge.Inference.Checkpoints;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Inference.Models.CtSam3D;

/// <summary>
/// CT-SAM3D on ONNX Runtime: the graphs of <see cref="CtSam3DGraphs"/> over the checkpoint's weights in up to three
/// sessions (encoder, decoder, cross-patch UNet when the checkpoint has it) on the device asked for. Thread-safe.
/// Patch arrays are 64³ float32, [A0][A1][A2] = [z][y][x] with x fastest (the PyTorch tensor [1,1,z,y,x]).
/// </summary>
public sealed class CtSam3DNetwork : IDisposable
{
    private readonly WeightSet _weights;
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _decoder;
    private readonly InferenceSession? _crossPatch;

    private CtSam3DNetwork(CtSam3DConfig config, WeightSet weights, bool hasCrossPatch, ExecutionDevice device)
    {
        Config = config;
        _weights = weights;
        var sessions = new List<InferenceSession>();
        try
        {
            (_encoder, Execution) = SessionFactory.Create(CtSam3DGraphs.Encoder(config, weights).Build().ToByteArray(), weights, device);
            sessions.Add(_encoder);
            // The other graphs go where the encoder went (auto has been resolved by now).
            (_decoder, _) = SessionFactory.Create(CtSam3DGraphs.Decoder(config, weights).Build().ToByteArray(), weights, Execution.Device);
            sessions.Add(_decoder);
            if (hasCrossPatch)
                (_crossPatch, _) = SessionFactory.Create(CtSam3DGraphs.CrossPatch(config, weights).Build().ToByteArray(), weights, Execution.Device);
        }
        catch
        {
            foreach (var s in sessions) s.Dispose();
            throw;
        }
    }

    public static CtSam3DNetwork Load(ICheckpoint checkpoint, CtSam3DConfig config, ExecutionDevice device = default)
    {
        config.Validate();
        var (weights, hasCrossPatch) = CtSam3DWeights.Load(checkpoint, config);
        try { return new CtSam3DNetwork(config, weights, hasCrossPatch, device); }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public static CtSam3DNetwork Load(string checkpointPath, CtSam3DConfig config, ExecutionDevice device = default)
    {
        using var checkpoint = CheckpointReader.Open(checkpointPath);
        return Load(checkpoint, config, device);
    }

    public CtSam3DConfig Config { get; }
    public ExecutionChoice Execution { get; }
    public long WeightBytes => _weights.Bytes;
    public int PatchSize => Config.ImageSize;
    public bool HasCrossPatch => _crossPatch is not null;

    /// <summary>The encoder on one normalised patch (values in [0, 1]); <paramref name="withStem"/> also returns the stem tokens.</summary>
    public CtSamFeatures EncodePatch(ReadOnlySpan<float> patch, CancellationToken cancellationToken, bool withStem = false)
    {
        int s = PatchSize;
        if (patch.Length != s * s * s) throw new ArgumentException($"The encoder takes a {s}³ patch, got {patch.Length} values.");
        using var run = new Run(_encoder);
        run.Input(CtSam3DGraphs.Image, patch.ToArray(), 1, 1, s, s, s);
        var maps = new float[4][];
        for (int k = 0; k < 4; k++)
        {
            int d = Config.StageGrid(k), ch = Config.MapperChans[k];
            maps[k] = run.Output(CtSam3DGraphs.Feature(k), 1, ch, d, d, d);
        }
        int g = Config.StageGrid(0);
        float[]? stem = withStem ? run.Output(CtSam3DGraphs.Stem, Config.EmbedDims[0], g, g, g) : null;
        run.Execute(cancellationToken);
        return new CtSamFeatures(maps, stem);
    }

    /// <summary>
    /// The decoder for one click: all clicks of the patch so far (cumulative) rasterised into click maps, and the previous
    /// call's probability (empty for the first click in a patch: zeros).
    /// </summary>
    public CtSamDecoderOutput Decode(CtSamFeatures features, ReadOnlySpan<CtSamClick> clicks, ReadOnlySpan<float> previousProbability,
        bool withIntermediates = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        int s = PatchSize, volume = s * s * s;
        if (features.Maps.Count != 4 || Enumerable.Range(0, 4).Any(k => features.Maps[k].LongLength != (long)Config.MapperChans[k] * Config.StageGrid(k) * Config.StageGrid(k) * Config.StageGrid(k)))
            throw new ArgumentException("The features were made by a different configuration.");
        if (!previousProbability.IsEmpty && previousProbability.Length != volume)
            throw new ArgumentException($"The mask prompt must be a {s}³ probability map, got {previousProbability.Length} values.");
        var maps = ClickMaps.Rasterise(clicks, s);
        var prompt = new float[3 * volume];
        previousProbability.CopyTo(prompt);
        maps.CopyTo(prompt.AsSpan(volume));

        using var run = new Run(_decoder);
        for (int k = 0; k < 4; k++)
        {
            int d = Config.StageGrid(k);
            run.Input(CtSam3DGraphs.Feature(k), features.Maps[k], 1, Config.MapperChans[k], d, d, d);
        }
        run.Input(CtSam3DGraphs.Prompt, prompt, 1, 3, s, s, s);
        var probability = run.Output(CtSam3DGraphs.Probability, 1, 1, s, s, s);
        var iou = run.Output(CtSam3DGraphs.Iou, 1, 1);
        Dictionary<string, float[]>? steps = null;
        if (withIntermediates)
        {
            steps = [];
            for (int i = 0; i < SpadeDecoder.IntermediateNames.Length; i++)
            {
                var (ch, n) = CtSam3DGraphs.IntermediateShape(Config, i);
                steps[SpadeDecoder.IntermediateNames[i]] = run.Output(CtSam3DGraphs.Intermediate(SpadeDecoder.IntermediateNames[i]), 1, ch, n, n, n);
            }
        }
        run.Execute(cancellationToken);
        return new CtSamDecoderOutput { Probability = probability, Iou = iou[0], ClickMaps = maps, Intermediates = steps };
    }

    /// <summary>
    /// The cross-patch UNet: heatmap (64³, unactivated) for <paramref name="neighbour"/> given this patch's image and mask.
    /// Images are normalised patches; the mask is 0/1.
    /// </summary>
    public float[] CrossPatchHeatmap(ReadOnlySpan<float> patch, ReadOnlySpan<byte> mask, ReadOnlySpan<float> neighbour, CancellationToken cancellationToken)
    {
        if (_crossPatch is null) throw new InvalidOperationException("This checkpoint has no cross-patch network (cpp_predictor.*).");
        int s = PatchSize, volume = s * s * s;
        if (patch.Length != volume || mask.Length != volume || neighbour.Length != volume)
            throw new ArgumentException($"The cross-patch network takes three {s}³ patches.");
        var input = new float[3 * volume];
        patch.CopyTo(input);
        for (int i = 0; i < volume; i++) input[volume + i] = mask[i];
        neighbour.CopyTo(input.AsSpan(2 * volume));
        using var run = new Run(_crossPatch);
        run.Input(CtSam3DGraphs.CppInput, input, 1, 3, s, s, s);
        var heatmap = run.Output(CtSam3DGraphs.Heatmap, 1, 1, s, s, s);
        run.Execute(cancellationToken);
        return heatmap;
    }

    /// <summary>One session run over host buffers bound in place (no copies), cancellable.</summary>
    private sealed class Run(InferenceSession session) : IDisposable
    {
        private readonly OrtIoBinding _binding = session.CreateIoBinding();
        private readonly List<OrtValue> _values = [];

        public void Input(string name, float[] data, params long[] shape) => _binding.BindInput(name, Over(data, shape));

        public float[] Output(string name, params long[] shape)
        {
            var data = new float[shape.Aggregate(1L, (a, b) => a * b)];
            _binding.BindOutput(name, Over(data, shape));
            return data;
        }

        private OrtValue Over(float[] data, long[] shape)
        {
            var v = OrtValue.CreateTensorValueFromMemory(data, shape);
            _values.Add(v);
            return v;
        }

        public void Execute(CancellationToken cancellationToken)
        {
            BoundRun.Run(session, _binding, cancellationToken);
        }

        public void Dispose()
        {
            _binding.Dispose();
            foreach (var v in _values) v.Dispose();
        }
    }

    public void Dispose()
    {
        _encoder.Dispose();
        _decoder.Dispose();
        _crossPatch?.Dispose();
        _weights.Dispose();
    }
}
