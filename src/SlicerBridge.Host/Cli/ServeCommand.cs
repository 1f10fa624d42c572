using System.CommandLine;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SlicerBridge.Host.Hosting;

namespace SlicerBridge.Host.Cli;

/// <summary>
/// <c>slicerbridge [serve] [--port N] [--bind ADDR] [--model NAME] [--allow CIDR]... [--Section:Key=value]...</c>:
/// runs the OpenIGTLink server until Ctrl+C / SIGTERM. Exit codes: 0 stopped cleanly, 1 the host failed, 2 invalid configuration.
/// </summary>
public static class ServeCommand
{
    public const int ExitOk = 0, ExitFailed = 1, ExitConfiguration = 2;

    /// <summary>The serve options, shared by the root command (serve is the default).</summary>
    public sealed class ServeOptions
    {
        public Option<int?> Port { get; } = new("--port") { Description = "TCP port (default 18944; 0 picks a free one)" };
        public Option<string?> Bind { get; } = new("--bind") { Description = "Address to listen on (default 127.0.0.1)" };
        public Option<string?> Model { get; } = new("--model") { Description = "Default model name (default growcut)" };
        public Option<string[]> Allow { get; } = new("--allow") { Description = "Allowed client network in CIDR notation; repeat for more" };
        public Option<int?> Parallelism { get; } = new("--parallelism") { Description = "Concurrent segmentations (default cores/2, at least 1)" };
        public Option<int?> QueueCapacity { get; } = new("--queue-capacity") { Description = "Pending requests before clients are told 'busy'" };
        public Option<string?> Precision { get; } = new("--precision") { Description = "Arithmetic precision of models with weights: fp32 (default) or fp16 (GPUs)" };
        public Option<string?> Device { get; } = new("--device") { Description = "Where models with weights run: auto (CUDA when available, else CPU), cpu, cuda[:N], tensorrt[:N], coreml" };
        public Option<string[]> StreamFrom { get; } = new("--stream-from") { Description = "Frame source to relay live 2-D frames from, HOST:PORT (e.g. PlusServer); repeat for more" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Port, Bind, Model, Allow, Parallelism, QueueCapacity, Device, Precision, StreamFrom }) command.Add(option);
            command.TreatUnmatchedTokensAsErrors = false; // --Section:Key=value goes to the configuration
            command.SetAction((parse, token) => RunAsync(ToConfiguration(parse), Console.Error, token));
        }

        /// <summary>Named options become configuration overrides; unmatched tokens are configuration arguments.</summary>
        public (string[] Args, Dictionary<string, string?> Overrides) ToConfiguration(ParseResult parse)
        {
            var overrides = new Dictionary<string, string?>();
            if (parse.GetValue(Port) is { } port) overrides["Server:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(Bind) is { } bind) overrides["Server:BindAddress"] = bind;
            if (parse.GetValue(Model) is { } model) overrides["Models:Default"] = model;
            if (parse.GetValue(Allow) is { Length: > 0 } allow)
                for (int i = 0; i < allow.Length; i++) overrides[$"Server:AllowedClients:{i}"] = allow[i];
            if (parse.GetValue(Parallelism) is { } p) overrides["Scheduling:Parallelism"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(QueueCapacity) is { } q) overrides["Scheduling:QueueCapacity"] = q.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (parse.GetValue(Device) is { } device) overrides["Models:Device"] = device;
            if (parse.GetValue(Precision) is { } precision) overrides["Models:Precision"] = precision;
            if (parse.GetValue(StreamFrom) is { Length: > 0 } sources)
                for (int i = 0; i < sources.Length; i++) overrides[$"{Streaming.StreamingOptions.Section}:Sources:{i}"] = sources[i];
            return ([.. parse.UnmatchedTokens], overrides);
        }
    }

    public static Command Create()
    {
        var command = new Command("serve", "Run the OpenIGTLink segmentation server (the default command)");
        new ServeOptions().AddTo(command);
        return command;
    }

    public static async Task<int> RunAsync((string[] Args, Dictionary<string, string?> Overrides) configuration, TextWriter stderr,
        CancellationToken cancellationToken)
    {
        var unknown = configuration.Args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) || !a.Contains(':') && !a.Contains('=')).ToList();
        if (unknown.Count > 0)
        {
            await stderr.WriteLineAsync($"slicerbridge serve: unrecognised argument(s): {string.Join(" ", unknown)} (configuration keys look like --Server:Port=18944)");
            return ExitConfiguration;
        }
        IHost host;
        try
        {
            host = BridgeHostBuilder.Create(configuration.Args, configuration.Overrides).Build();
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            await stderr.WriteLineAsync($"slicerbridge: invalid configuration: {CliErrors.OneLine(ex.Message)}");
            return ExitConfiguration;
        }
        using (host)
        {
            try
            {
                await host.RunAsync(cancellationToken);
            }
            catch (OptionsValidationException ex)
            {
                await stderr.WriteLineAsync("slicerbridge: invalid configuration:");
                foreach (var failure in ex.Failures) await stderr.WriteLineAsync("  " + failure);
                return ExitConfiguration;
            }
            catch (InvalidOperationException ex) when (ex.Message.StartsWith("Cannot listen", StringComparison.Ordinal))
            {
                await stderr.WriteLineAsync("slicerbridge: " + ex.Message);
                return ExitConfiguration;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Models load on first use and a broken checkpoint is answered to the client that asked for it; what
                // still reaches here stopped the host: one line, the log has the details.
                await stderr.WriteLineAsync("slicerbridge: " + CliErrors.Describe(ex));
                return ExitFailed;
            }
        }
        return ExitOk;
    }
}
