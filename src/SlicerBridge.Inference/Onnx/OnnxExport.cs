using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Onnx;

namespace SlicerBridge.Inference.Onnx;

/// <summary>
/// Writes a model's graphs as <c>.onnx</c> files for other hosts (Netron, TensorRT, OpenVINO, onnxruntime elsewhere):
/// the weights stay as external data in the weight set's file beside them (protobuf messages are limited to 2 GB), and a
/// <c>manifest.json</c> lists each graph's inputs and outputs with what the model family adds (pre- and post-processing).
/// </summary>
public static class OnnxExport
{
    public const string ManifestFile = "manifest.json";

    public static void Write(string folder, WeightSet weights, IReadOnlyList<(string Role, string FileName, GraphBuilder Graph)> graphs, JsonObject model)
    {
        if (!string.Equals(Path.GetFullPath(weights.Folder), Path.GetFullPath(folder), StringComparison.Ordinal))
            throw new ArgumentException("The weights file must be in the export folder, beside the graphs.");
        var manifest = new JsonObject
        {
            ["producer"] = "SlicerBridge",
            ["opset"] = GraphBuilder.Opset,
            ["weights"] = weights.FileName,
            ["model"] = model,
        };
        var entries = new JsonObject();
        foreach (var (role, fileName, graph) in graphs)
        {
            var proto = graph.Build();
            File.WriteAllBytes(Path.Combine(folder, fileName), proto.ToByteArray());
            entries[role] = new JsonObject
            {
                ["file"] = fileName,
                ["inputs"] = Describe(proto.Graph.Input),
                ["outputs"] = Describe(proto.Graph.Output),
            };
        }
        manifest["graphs"] = entries;
        File.WriteAllText(Path.Combine(folder, ManifestFile), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    private static JsonArray Describe(IEnumerable<ValueInfoProto> values) => [.. values.Select(v => (JsonNode)new JsonObject
    {
        ["name"] = v.Name,
        ["type"] = ((TensorProto.Types.DataType)v.Type.TensorType.ElemType).ToString().ToLowerInvariant(),
        ["shape"] = new JsonArray([.. v.Type.TensorType.Shape.Dim.Select(d => (JsonNode)(d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam
            ? JsonValue.Create(d.DimParam) : JsonValue.Create(d.DimValue)))]),
    })];
}
