using System.Net;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Networking;

namespace SlicerBridge.Host.Configuration;

/// <summary>Start-up validation: every problem is listed, and the host refuses to start until they are fixed.</summary>
public sealed class BridgeOptionsValidator(IEnumerable<string> knownModelKinds) : IValidateOptions<BridgeOptions>
{
    private readonly HashSet<string> _kinds = new(knownModelKinds, StringComparer.OrdinalIgnoreCase);

    public ValidateOptionsResult Validate(string? name, BridgeOptions options)
    {
        var errors = Collect(options, _kinds);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> Collect(BridgeOptions o, IReadOnlySet<string> kinds)
    {
        var errors = new List<string>();
        if (!IPAddress.TryParse(o.Server.BindAddress, out _))
            errors.Add($"Server:BindAddress '{o.Server.BindAddress}' is not an IP address.");
        if (o.Server.Port is < 0 or > 65535)
            errors.Add($"Server:Port {o.Server.Port} is outside 0..65535.");
        foreach (var cidr in o.Server.EffectiveAllowedClients)
            if (!CidrRange.TryParse(cidr, out _))
                errors.Add($"Server:AllowedClients entry '{cidr}' is not CIDR notation (e.g. 10.0.0.0/8 or ::1/128).");
        if (o.Server.MaxClients < 1) errors.Add($"Server:MaxClients must be at least 1, got {o.Server.MaxClients}.");
        if (o.Server.MaxClientsPerAddress < 1) errors.Add($"Server:MaxClientsPerAddress must be at least 1, got {o.Server.MaxClientsPerAddress}.");
        if (o.Server.MaxUndoDepth < 1) errors.Add($"Server:MaxUndoDepth must be at least 1, got {o.Server.MaxUndoDepth}.");
        if (o.Server.MaxUndoBytes < 0) errors.Add($"Server:MaxUndoBytes must be >= 0, got {o.Server.MaxUndoBytes}.");
        if (!(o.Server.ShutdownDeadlineSeconds >= 0)) errors.Add($"Server:ShutdownDeadlineSeconds must be >= 0.");
        if (!(o.Server.MessageReadTimeoutSeconds >= 0)) errors.Add($"Server:MessageReadTimeoutSeconds must be >= 0 (0 = no limit).");
        if (!(o.Server.WriteTimeoutSeconds >= 0)) errors.Add($"Server:WriteTimeoutSeconds must be >= 0 (0 = no limit).");
        if (!(o.Server.IdleTimeoutSeconds >= 0)) errors.Add($"Server:IdleTimeoutSeconds must be >= 0 (0 = no limit).");
        if (o.Server.MaxReplyBytesInFlight < 1 << 20) errors.Add($"Server:MaxReplyBytesInFlight must be at least 1 MiB, got {o.Server.MaxReplyBytesInFlight}.");

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var m in o.Models.EffectiveList)
        {
            if (string.IsNullOrWhiteSpace(m.Name)) { errors.Add($"Models:List has an entry without a Name."); continue; }
            if (!names.Add(m.Name)) errors.Add($"Models:List names '{m.Name}' twice.");
            if (!kinds.Contains(m.Kind))
                errors.Add($"Models:List '{m.Name}' has kind '{m.Kind}'; known kinds: {string.Join(", ", kinds)}.");
            if (m.Checkpoint is not null && !File.Exists(m.Checkpoint))
                errors.Add($"Models:List '{m.Name}' checkpoint '{m.Checkpoint}' does not exist.");
            try
            {
                Inference.Onnx.ExecutionDevice.Parse(o.Models.DeviceOf(m));
                Inference.Onnx.ModelPrecisionNames.Parse(o.Models.PrecisionOf(m));
            }
            catch (ArgumentException ex) { errors.Add($"Models:List '{m.Name}': {ex.Message}"); }
            if (m.Config is not null && ConfigArgument.IsPath(m.Config) && !File.Exists(m.Config))
                errors.Add($"Models:List '{m.Name}' config '{m.Config}' does not exist.");
        }
        if (!names.Contains(o.Models.Default))
            errors.Add($"Models:Default '{o.Models.Default}' is not in Models:List ({string.Join(", ", names)}).");
        if (o.Models.MemoryBudgetBytes <= 0) errors.Add($"Models:MemoryBudgetBytes must be positive.");
        if (o.Cache.MemoryBudgetBytes <= 0) errors.Add($"Cache:MemoryBudgetBytes must be positive.");

        var l = o.Protocol;
        if (l.MaxBodyBytes < 1024) errors.Add($"Protocol:MaxBodyBytes must be at least 1024, got {l.MaxBodyBytes}.");
        if (l.MaxNonImageBodyBytes < 1024) errors.Add($"Protocol:MaxNonImageBodyBytes must be at least 1024, got {l.MaxNonImageBodyBytes}.");
        if (l.MaxMetadataEntries < 0 || l.MaxMetadataEntries > ushort.MaxValue) errors.Add($"Protocol:MaxMetadataEntries must be within 0..65535.");
        if (l.MaxMetadataBytes < 0) errors.Add($"Protocol:MaxMetadataBytes must be >= 0.");
        if (l.MaxImageDimension < 1 || l.MaxImageDimension > ushort.MaxValue) errors.Add($"Protocol:MaxImageDimension must be within 1..65535.");
        if (l.MaxImageVoxels < 1) errors.Add($"Protocol:MaxImageVoxels must be positive.");

        if (o.Scheduling.Parallelism < 0) errors.Add($"Scheduling:Parallelism must be >= 0 (0 = cores/2).");
        if (o.Scheduling.QueueCapacity < 1) errors.Add($"Scheduling:QueueCapacity must be at least 1.");
        return errors;
    }
}
