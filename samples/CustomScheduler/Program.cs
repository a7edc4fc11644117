using CustomScheduler;
using k8s;
using Kube.Core.Client;
using Kube.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// custom-scheduler --kubeconfig <path> [--config scheduler-config.yaml]
// Runs the Kube.Scheduling framework with one extra plugin against any cluster the kubeconfig names (kube-host or a
// real Kubernetes cluster): the default plugins plus PreferredNodes, in the "my-scheduler" profile.
string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var kubeconfig = Arg("--kubeconfig") ?? Environment.GetEnvironmentVariable("KUBECONFIG");
var config = Arg("--config") ?? Path.Combine(AppContext.BaseDirectory, "scheduler-config.yaml");
if (string.IsNullOrEmpty(kubeconfig) || !File.Exists(kubeconfig))
{
    await Console.Error.WriteLineAsync("usage: custom-scheduler --kubeconfig <path> [--config <KubeSchedulerConfiguration.yaml>]");
    return 2;
}

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
builder.Services.AddSingleton<IKubeClient>(_ => HttpKubeClient.FromConfig(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig)));
builder.Services.AddKubeScheduler()
    .AddPlugin<PreferredNodesPlugin, PreferredNodesArgs>(PreferredNodesPlugin.PluginName)
    .UseConfigurationFile(config);

using var host = builder.Build();
await host.StartAsync();
await host.Services.GetRequiredService<KubeScheduler>().Started;
Console.WriteLine("custom-scheduler ready: profiles " + string.Join(", ", host.Services.GetRequiredService<KubeScheduler>().Profiles.Keys));
await host.WaitForShutdownAsync();
return 0;
