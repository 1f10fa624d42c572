using System.CommandLine;
using SlicerBridge.Host.Cli;

// A graceful stop (SIGTERM, Ctrl+C) lets in-flight requests finish for Server:ShutdownDeadlineSeconds and the host
// stops within its 30 s shutdown timeout; System.CommandLine would otherwise end the process 2 s after the signal.
return await BridgeCli.Create().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = BridgeCli.TerminationGrace });
