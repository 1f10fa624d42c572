using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Onnx;

namespace SlicerBridge.Host.Hosting;

/// <summary>
/// At start, one log line per device the configured models with weights ask for: which execution provider it resolves
/// to on this machine, and why not the one asked for (e.g. "CUDA not used: libcublasLt.so.13: cannot open shared object file").
/// </summary>
public sealed class ExecutionDeviceReport(IOptions<BridgeOptions> options, ILogger<ExecutionDeviceReport> logger) : IHostedService
{
    private static readonly string GrowCutKind = new GrowCutModelFactory().Kind;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var models = options.Value.Models;
        foreach (var group in models.EffectiveList.Where(m => !m.Kind.Equals(GrowCutKind, StringComparison.OrdinalIgnoreCase))
                                                  .GroupBy(m => models.DeviceOf(m), StringComparer.OrdinalIgnoreCase))
        {
            string names = string.Join(", ", group.Select(m => m.Name));
            try
            {
                var choice = SessionFactory.Probe(ExecutionDevice.Parse(group.Key));
                if (choice.Fallback is null)
                    logger.LogInformation("Models {Models}: device {Requested} runs on {Provider}", names, group.Key, choice.Device);
                else
                    logger.LogWarning("Models {Models}: device {Requested} runs on {Provider}; {Reason}", names, group.Key, choice.Device, choice.Fallback);
            }
            catch (ArgumentException ex)
            {
                logger.LogError("Models {Models}: device {Requested} is not available: {Reason}", names, group.Key, ex.Message);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
