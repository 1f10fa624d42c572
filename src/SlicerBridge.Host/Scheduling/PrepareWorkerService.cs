using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Scheduling;

/// <summary>
/// Runs warm-ups one at a time in the background. A click that arrives while its warm-up runs waits for the same
/// work instead of repeating it (the models' caches compute each entry once), so a warm-up never costs a click time.
/// </summary>
public sealed class PrepareWorkerService(PrepareQueue queue, ModelRegistry models, ILogger<PrepareWorkerService> logger) : BackgroundService
{
    public int Completed => Volatile.Read(ref _completed);
    private int _completed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in queue.Reader.ReadAllAsync(stoppingToken))
                await Task.Run(() => Prepare(request, stoppingToken), CancellationToken.None);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    private void Prepare(PrepareRequest request, CancellationToken stoppingToken)
    {
        if (request.ClientToken.IsCancellationRequested) return;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(request.ClientToken, stoppingToken);
        var clock = Stopwatch.StartNew();
        try
        {
            using var lease = models.Acquire(request.ModelName);
            lease.Model.Prepare(request.Volume, request.Roi, linked.Token);
            Interlocked.Increment(ref _completed);
            logger.LogDebug("Prepared {Volume} for {Model} in {Ms:0} ms", request.Volume.Name, request.ModelName, clock.Elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) { }
        catch (Exception ex)
        {
            // A failed warm-up is not an error for anyone: the next click does the work itself and reports what fails.
            logger.LogDebug(ex, "Warm-up of {Volume} for {Model} failed", request.Volume.Name, request.ModelName);
        }
    }
}
