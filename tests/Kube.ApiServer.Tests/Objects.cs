namespace Kube.ApiServer.Tests;

/// <summary>JSON bodies used across tests.</summary>
internal static class Objects
{
    public static string Pod(string name, string ns = "default", string labels = "{\"app\":\"demo\"}", string? nodeName = null)
    {
        var node = nodeName is null ? "" : $"\"nodeName\":\"{nodeName}\",";
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\",\"labels\":" + labels + "}," +
            "\"spec\":{" + node + "\"containers\":[{\"name\":\"c\",\"image\":\"busybox:1.36\"}]}}";
    }

    public static string Deployment(string name, int replicas = 2, string image = "nginx:1.27") => """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME","labels":{"app":"NAME"}},
         "spec":{"replicas":REPLICAS,"selector":{"matchLabels":{"app":"NAME"}},
           "template":{"metadata":{"labels":{"app":"NAME"}},"spec":{"containers":[{"name":"web","image":"IMAGE","ports":[{"containerPort":80}]}]}}}}
        """.Replace("NAME", name).Replace("REPLICAS", replicas.ToString(System.Globalization.CultureInfo.InvariantCulture)).Replace("IMAGE", image);

    public static string Node(string name, bool ready = true) => """
        {"apiVersion":"v1","kind":"Node","metadata":{"name":"NAME","labels":{"node-role.kubernetes.io/control-plane":""}},
         "status":{"conditions":[{"type":"Ready","status":"READY"}],
           "nodeInfo":{"kubeletVersion":"v1.32.0","osImage":"Debian","kernelVersion":"6.1","containerRuntimeVersion":"kube://0.1",
             "machineID":"","systemUUID":"","bootID":"","kubeProxyVersion":"","operatingSystem":"linux","architecture":"amd64"},
           "addresses":[{"type":"InternalIP","address":"10.0.0.1"}]}}
        """.Replace("NAME", name).Replace("READY", ready ? "True" : "False");
}
