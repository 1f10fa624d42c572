using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Cli;
using SlicerBridge.Host.Configuration;
using SlicerBridge.Host.Hosting;
using SlicerBridge.Inference.Models;

namespace SlicerBridge.Host.Tests.Core;

/// <summary>Process environment variables are global: these tests run alone, never next to a test that builds a host.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnvironmentCollection
{
    public const string Name = "Process environment";
}

/// <summary>
/// The configuration sources of the real <see cref="BridgeHostBuilder"/> (appsettings.json, SLICERBRIDGE__ environment,
/// --Section:Key command line, then the serve command's named options), read back as the bound <see cref="BridgeOptions"/>.
/// </summary>
[Collection(EnvironmentCollection.Name)]
public class ConfigurationSourcesTests
{
    /// <summary>Sets environment variables for the lifetime of the scope and restores the previous values after.</summary>
    private sealed class EnvironmentScope : IDisposable
    {
        private readonly Dictionary<string, string?> _previous = [];

        public EnvironmentScope(Dictionary<string, string> variables)
        {
            foreach (var (name, value) in variables)
            {
                _previous[name] = Environment.GetEnvironmentVariable(name);
                Environment.SetEnvironmentVariable(name, value);
            }
        }

        public void Dispose()
        {
            foreach (var (name, value) in _previous) Environment.SetEnvironmentVariable(name, value);
        }
    }

    // Values no default or appsettings.json has, so a match can only come from the source under test.
    private static readonly string Unique = Guid.NewGuid().ToString("N")[..8];

    private static IHost Build(string[] args, Dictionary<string, string?>? overrides = null) => BridgeHostBuilder.Create(args, overrides).Build();

    private static BridgeOptions Bound(IHost host) => host.Services.GetRequiredService<IOptions<BridgeOptions>>().Value;

    [Fact]
    public void Environment_variables_bind_every_section_including_lists()
    {
        string model = $"env-{Unique}";
        var env = new Dictionary<string, string>
        {
            ["SLICERBRIDGE__Server__Port"] = "23917",
            ["SLICERBRIDGE__Server__AllowedClients__0"] = "10.23.0.0/16",
            ["SLICERBRIDGE__Server__MaxClients"] = "7",
            ["SLICERBRIDGE__Models__Default"] = model,
            ["SLICERBRIDGE__Models__List__0__Name"] = model,
            ["SLICERBRIDGE__Models__List__0__Kind"] = "growcut",
            ["SLICERBRIDGE__Models__List__1__Name"] = model + "-b",
            ["SLICERBRIDGE__Models__List__1__Kind"] = "growcut",
            ["SLICERBRIDGE__Cache__MemoryBudgetBytes"] = "123456789",
            ["SLICERBRIDGE__Scheduling__QueueCapacity"] = "11",
            ["SLICERBRIDGE__Protocol__VerifyCrc"] = "false",
        };
        IHost host;
        using (new EnvironmentScope(env)) host = Build([]);
        using (host)
        {
            Assert.NotEqual("23917", Environment.GetEnvironmentVariable("SLICERBRIDGE__Server__Port")); // restored after the build
            var o = Bound(host);
            Assert.Equal(23917, o.Server.Port);
            Assert.Equal("127.0.0.1", o.Server.BindAddress); // appsettings.json, untouched
            Assert.Equal(["10.23.0.0/16", "::1/128"], o.Server.AllowedClients); // index 0 replaced, index 1 from appsettings.json
            Assert.Equal(7, o.Server.MaxClients);
            Assert.Equal(model, o.Models.Default);
            Assert.Equal([model, model + "-b"], o.Models.List.Select(m => m.Name).ToArray());
            Assert.All(o.Models.List, m => Assert.Equal("growcut", m.Kind));
            Assert.Equal(123456789, o.Cache.MemoryBudgetBytes);
            Assert.Equal(11, o.Scheduling.QueueCapacity);
            Assert.False(o.Protocol.VerifyCrc);
            Assert.Equal([model, model + "-b"], host.Services.GetRequiredService<ModelRegistry>().Names.ToArray());
        }
    }

    [Fact]
    public void Command_line_keys_bind_and_win_over_the_environment()
    {
        var env = new Dictionary<string, string>
        {
            ["SLICERBRIDGE__Server__Port"] = "23918",
            ["SLICERBRIDGE__Server__MaxClients"] = "9",
        };
        IHost host;
        using (new EnvironmentScope(env))
            host = Build(["--Server:Port=23919", $"--Models:List:0:Name=cli-{Unique}", "--Models:List:0:Kind=growcut",
                $"--Models:Default=cli-{Unique}", "--Scheduling:Parallelism=3", "--Protocol:MaxImageDimension=512"]);
        using (host)
        {
            var o = Bound(host);
            Assert.Equal(23919, o.Server.Port); // command line over environment
            Assert.Equal(9, o.Server.MaxClients); // environment where the command line says nothing
            Assert.Equal($"cli-{Unique}", o.Models.Default);
            Assert.Equal($"cli-{Unique}", Assert.Single(o.Models.List).Name);
            Assert.Equal(3, o.Scheduling.EffectiveParallelism);
            Assert.Equal(512, o.Protocol.MaxImageDimension);
        }
    }

    [Fact]
    public void Serve_named_options_map_to_configuration_and_win_over_keys()
    {
        var serve = new ServeCommand.ServeOptions();
        var command = new Command("serve");
        serve.AddTo(command);
        string model = $"named-{Unique}";
        var parse = command.Parse(["--port", "23920", "--bind", "0.0.0.0", "--model", model,
            "--allow", "10.0.0.0/8", "--allow", "192.168.7.0/24", "--parallelism", "2", "--queue-capacity", "5",
            "--Server:Port=1111", $"--Models:List:0:Name={model}", "--Models:List:0:Kind=growcut", "--Server:MaxClients=4"]);
        Assert.Empty(parse.Errors);
        var (args, overrides) = serve.ToConfiguration(parse);
        Assert.Equal(["--Server:Port=1111", $"--Models:List:0:Name={model}", "--Models:List:0:Kind=growcut", "--Server:MaxClients=4"], args);
        Assert.Equal("23920", overrides["Server:Port"]);
        Assert.Equal("192.168.7.0/24", overrides["Server:AllowedClients:1"]);

        using var host = Build(args, overrides);
        var o = Bound(host);
        Assert.Equal(23920, o.Server.Port); // --port over --Server:Port
        Assert.Equal("0.0.0.0", o.Server.BindAddress);
        Assert.Equal(model, o.Models.Default);
        Assert.Equal(["10.0.0.0/8", "192.168.7.0/24"], o.Server.AllowedClients);
        Assert.Equal(2, o.Scheduling.Parallelism);
        Assert.Equal(5, o.Scheduling.QueueCapacity);
        Assert.Equal(4, o.Server.MaxClients);
    }

    [Fact]
    public void Serve_without_named_options_adds_no_overrides()
    {
        var serve = new ServeCommand.ServeOptions();
        var command = new Command("serve");
        serve.AddTo(command);
        var (args, overrides) = serve.ToConfiguration(command.Parse(["--Server:Port=23921"]));
        Assert.Equal(["--Server:Port=23921"], args);
        Assert.Empty(overrides);
        using var host = Build(args, overrides);
        Assert.Equal(23921, Bound(host).Server.Port);
        Assert.Equal(["127.0.0.0/8", "::1/128"], Bound(host).Server.AllowedClients); // appsettings.json
    }
}
