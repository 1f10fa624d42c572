using System.Globalization;
using System.Text.Json.Nodes;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Connections;

/// <summary>
/// The one mapping from session outcomes to OpenIGTLink replies: a STATUS for IMAGE / POINT / queries, an RTS_COMMAND
/// (Status=SUCCESS|FAIL) for a COMMAND, and the labelmap IMAGE of a result.
/// </summary>
public static class Replies
{
    public static IgtlStatusCode StatusCodeOf(RejectionKind kind) => kind switch
    {
        RejectionKind.NoVolume or RejectionKind.VolumeEvicted or RejectionKind.PriorVolumeNotFound or RejectionKind.UndoLimitReached => IgtlStatusCode.NotFound,
        RejectionKind.NoPositivePoint => IgtlStatusCode.NotReady,
        RejectionKind.TooLarge => IgtlStatusCode.Overflow,
        RejectionKind.Busy => IgtlStatusCode.Busy,
        RejectionKind.UnknownInstruction => IgtlStatusCode.UnknownInstruction,
        _ => IgtlStatusCode.ConfigurationError,
    };

    /// <summary>The STATUS answering a message that did not lead anywhere; null when no reply is due (done or superseded).</summary>
    public static StatusMessage? Status<T>(string device, in Outcome<T> outcome) => outcome.Kind switch
    {
        OutcomeKind.Rejected => new StatusMessage
        {
            DeviceName = device, Code = StatusCodeOf(outcome.Rejection!.Kind), ErrorName = outcome.Rejection.ErrorName,
            Message = ReplyText.Fit(outcome.Rejection.Message),
        },
        OutcomeKind.Failed => InternalError(device, outcome.Message!),
        _ => null,
    };

    public static StatusMessage InternalError(string device, string message) => new()
    {
        DeviceName = device, Code = IgtlStatusCode.UnknownError, ErrorName = "InternalError", Message = ReplyText.Fit(message),
    };

    /// <summary>
    /// What goes instead of a reply that cannot be encoded (a bug: every text is fitted, so this should not happen):
    /// a FAIL for a COMMAND, else a STATUS, both short, so the client is never left waiting.
    /// </summary>
    public static IgtlMessage Unencodable(IgtlMessage reply, string reason)
    {
        string error = ReplyText.Fit($"The server could not encode its {reply.MessageType} reply: {reason}", 512);
        if (reply is RtsCommandMessage rts)
            return Rts(new CommandMessage { DeviceName = rts.DeviceName, CommandId = rts.CommandId, CommandName = rts.CommandName },
                ok: false, new JsonObject { ["error"] = error }.ToJsonString(), error);
        return new StatusMessage { DeviceName = reply.DeviceName, Code = IgtlStatusCode.UnknownError, ErrorName = "ReplyNotEncodable", Message = error };
    }

    public static StatusMessage ShuttingDown() => new()
    {
        Code = IgtlStatusCode.ShuttingDown, ErrorName = "ShuttingDown", Message = "SlicerBridge server is shutting down.",
    };

    /// <summary>A COMMAND's reply: SUCCESS with the JSON result, or FAIL with the reason (every non-done outcome answers).</summary>
    public static RtsCommandMessage Rts(CommandMessage request, in Outcome<JsonObject> outcome)
    {
        if (outcome.IsDone) return Rts(request, ok: true, outcome.Value!.ToJsonString(), error: null);
        string error = ReplyText.Fit(outcome.Kind == OutcomeKind.Failed ? $"Internal error: {outcome.Message}" : outcome.Message!);
        return Rts(request, ok: false, new JsonObject { ["error"] = error }.ToJsonString(), error);
    }

    private static RtsCommandMessage Rts(CommandMessage request, bool ok, string content, string? error)
    {
        var reply = new RtsCommandMessage
        {
            DeviceName = request.DeviceName, CommandId = request.CommandId, CommandName = request.CommandName,
            Content = content, Encoding = content.All(char.IsAscii) ? IgtlMetadata.EncodingUsAscii : IgtlMetadata.EncodingUtf8,
        };
        reply.Metadata.Set("Status", ok ? "SUCCESS" : "FAIL");
        if (error is not null) reply.Metadata.Set("ErrorMessage", error);
        return reply;
    }

    /// <summary>A uint8 labelmap with the request id, model and timings as metadata.</summary>
    public static ImageMessage LabelmapImage(Labelmap labelmap, JobTimings t)
    {
        var image = ImageVolumeConverter.ToLabelmap(labelmap.Device, labelmap.Mask, labelmap.Geometry);
        image.Metadata.Set("RequestId", labelmap.RequestId);
        image.Metadata.Set("Model", labelmap.Model);
        image.Metadata.Set("QueueMs", Ms(t.QueueMs));
        image.Metadata.Set("PrepareMs", Ms(t.PrepareMs));
        image.Metadata.Set("InferMs", Ms(t.InferMs));
        image.Metadata.Set("PostMs", Ms(t.PostMs));
        image.Metadata.Set("TotalMs", Ms(t.TotalMs));
        return image;
    }

    /// <summary>What a Segment command reports once its labelmap is sent.</summary>
    public static JsonObject SegmentResult(SegmentationDone done, JobTimings t) => new()
    {
        ["requestId"] = done.Labelmap.RequestId, ["output"] = done.Labelmap.Device, ["voxels"] = done.Voxels, ["model"] = done.Labelmap.Model,
        ["timings"] = new JsonObject
        {
            ["queueMs"] = t.QueueMs, ["prepareMs"] = t.PrepareMs, ["inferMs"] = t.InferMs, ["postMs"] = t.PostMs, ["totalMs"] = t.TotalMs,
        },
    };

    private static string Ms(double ms) => ms.ToString("0.0", CultureInfo.InvariantCulture);
}
