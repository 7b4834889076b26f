using LlmProxy.Cli;

return ProxyCommandLine.Run(args);
