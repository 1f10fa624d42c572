using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Networking;
using SlicerBridge.Host.Scheduling;
using SlicerBridge.Host.Connections;
using SlicerBridge.Host.Server;
using SlicerBridge.Host.Streaming;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Hosting;

/// <summary>
/// The composition root of the server: configuration (appsettings.json, SLICERBRIDGE__* environment, command line,
/// then explicit overrides), validated options, the shared services and the two background services.
/// </summary>
public static class BridgeHostBuilder
{
    public const string EnvironmentPrefix = "SLICERBRIDGE__";

    public static HostApplicationBuilder Create(string[] configurationArgs, IDictionary<string, string?>? overrides = null,
        IEnumerable<IModelFactory>? extraFactories = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = configurationArgs,
            ContentRootPath = AppContext.BaseDirectory,
            DisableDefaults = false,
        });
        // Precedence, lowest first: appsettings.json, SLICERBRIDGE__Section__Key environment, command line, overrides.
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(configurationArgs);
        if (overrides is not null) builder.Configuration.AddInMemoryCollection(overrides);

        var factories = ModelFactories.BuiltIn();
        if (extraFactories is not null) factories.AddRange(extraFactories);
        foreach (var f in factories) builder.Services.AddSingleton(f);

        builder.Services.AddOptions<BridgeOptions>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BridgeOptions>>(new BridgeOptionsValidator(factories.Select(f => f.Kind)));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));

        builder.Services.AddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<BridgeOptions>>().Value;
            return new ModelRegistry(sp.GetServices<IModelFactory>(),
                o.Models.EffectiveList.Select(m => new ModelSpec(m.Name, m.Kind, m.Checkpoint, m.Config, o.Models.DeviceOf(m), o.Models.PrecisionOf(m))), o.Models.MemoryBudgetBytes);
        });
        builder.Services.AddSingleton(sp => new VolumeCache(sp.GetRequiredService<IOptions<BridgeOptions>>().Value.Cache.MemoryBudgetBytes));
        builder.Services.AddSingleton(sp => new InferenceQueue(sp.GetRequiredService<IOptions<BridgeOptions>>().Value.Scheduling.QueueCapacity));
        builder.Services.AddSingleton<PrepareQueue>();
        builder.Services.AddSingleton<BridgeServer>();
        builder.Services.AddSingleton<IConnectionHandler, BridgeConnectionHandler>();
        // Hosted services stop in reverse order: the listener drains its clients while the workers still run.
        builder.Services.AddHostedService<ExecutionDeviceReport>();
        builder.Services.AddHostedService<InferenceWorkerService>();
        builder.Services.AddSingleton<PrepareWorkerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PrepareWorkerService>());
        builder.Services.AddOptions<StreamingOptions>().Bind(builder.Configuration.GetSection(StreamingOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StreamingOptions>, StreamingOptionsValidator>();
        builder.Services.AddSingleton<StreamRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StreamRelay>());
        builder.Services.AddSingleton<TcpListenerService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TcpListenerService>());
        return builder;
    }
}
