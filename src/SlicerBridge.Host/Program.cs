using SlicerBridge.Host.Cli;

return await BridgeCli.Create().Parse(args).InvokeAsync();
