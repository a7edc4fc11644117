global using Kube.Testing;
global using Microsoft.VisualStudio.TestTools.UnitTesting;
global using Kubectl = Kube.Testing.KubectlRunner;
global using KubectlResult = Kube.Testing.ToolResult;
