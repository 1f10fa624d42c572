using System.Text.Json.Nodes;
using SlicerBridge.Host.Hosting;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;

namespace SlicerBridge.Host.Connections;

/// <summary>The JSON of GetStatus / GET_STATUS and ListModels.</summary>
public static class StatusReport
{
    /// <summary>Optional protocol conventions this server implements (GetStatus <c>features</c>, docs/protocol.md).</summary>
    public static readonly IReadOnlyList<string> Features = ["prior"];

    public static JsonObject Status(BridgeServer server, SessionState session)
    {
        var cache = server.Cache;
        var models = server.Models.List();
        return new JsonObject
        {
            ["queue"] = new JsonObject
            {
                ["pending"] = server.Queue.Pending, ["running"] = server.Queue.Running, ["capacity"] = server.Queue.Capacity,
                ["position"] = server.Queue.PositionOf(session.Owns),
            },
            ["device"] = ModelDevices.Summarize(models),
            ["model"] = session.Model,
            ["models"] = Models(models),
            ["cache"] = new JsonObject { ["usedBytes"] = cache.UsedBytes, ["budgetBytes"] = cache.BudgetBytes, ["volumes"] = cache.Count },
            ["receivingBytes"] = server.PixelPool.OutstandingBytes,
            ["undoBytes"] = session.UndoBytes,
            ["sessions"] = server.Sessions,
            ["version"] = BridgeServer.Version,
            ["host"] = new JsonObject
            {
                ["instance"] = server.InstanceName, ["machine"] = Environment.MachineName, ["pid"] = Environment.ProcessId,
            },
            ["streams"] = server.Relay?.Status(),
            ["features"] = new JsonArray([.. Features.Select(f => (JsonNode)f)]),
        };
    }

    public static JsonObject ModelList(BridgeServer server) =>
        new() { ["default"] = server.Options.Models.Default, ["models"] = Models(server.Models.List()) };

    private static JsonArray Models(IReadOnlyList<ModelInfo> models) => [.. models.Select(m => (JsonNode)new JsonObject
    {
        ["name"] = m.Name, ["kind"] = m.Kind, ["description"] = m.Description, ["loaded"] = m.Loaded, ["device"] = ModelDevices.Of(m),
        ["weightBytes"] = m.WeightBytes, ["cacheBytes"] = m.CacheBytes,
    })];

    public static JsonObject Roi(RoiBox roi) => new()
    {
        ["center"] = Vec(roi.Center), ["size"] = Vec(roi.Size),
        ["axes"] = new JsonArray(Vec(roi.AxisX), Vec(roi.AxisY), Vec(roi.AxisZ)),
    };

    private static JsonArray Vec(Vec3 v) => [v.X, v.Y, v.Z];
}
