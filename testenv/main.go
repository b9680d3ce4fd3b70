// Command kube-testenv runs a real Kubernetes control plane on loopback, in the foreground, for
// nsaas's "real" test tier: etcd embedded in-process, kube-apiserver (RBAC and Node
// authorization, the usual admission chain including ValidatingAdmissionPolicy, service-account
// tokens, TLS from a throwaway CA) and kube-controller-manager (namespace, resource quota,
// garbage collector, service account and token controllers, among others), all built from the
// upstream Go modules. It writes DIR/admin.kubeconfig, prints exactly one line
//
//	ready kubeconfig=DIR/admin.kubeconfig
//
// once the API answers, the stand-in CRDs are established and the controllers run, and stops on
// SIGTERM or SIGINT. Everything runs inside this one process, so nothing is left running after it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"k8s.io/klog/v2"
)

func main() {
	dir := flag.String("dir", "", "directory for the kubeconfig, certificates, etcd data and logs (created if absent)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: kube-testenv --dir DIR")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, *dir); err != nil {
		fmt.Fprintf(os.Stderr, "kube-testenv: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string) (err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logFile, err := os.Create(filepath.Join(dir, "testenv.log"))
	if err != nil {
		return err
	}
	defer logFile.Close()
	// The components log through klog; all of it goes to DIR/testenv.log so that stdout carries
	// only the ready line.
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	if err := klogFlags.Parse([]string{"-logtostderr=false", "-stderrthreshold=FATAL"}); err != nil {
		return err
	}
	klog.SetOutput(logFile)
	defer klog.Flush()

	plane, err := newControlPlane(dir)
	if err != nil {
		return err
	}
	// Stop in reverse order of start whatever happens below: controllers, API server, etcd.
	defer func() {
		if stopErr := plane.stop(30 * time.Second); stopErr != nil && err == nil {
			err = stopErr
		}
	}()
	if err := plane.start(ctx); err != nil {
		return err
	}
	fmt.Printf("ready kubeconfig=%s\n", plane.adminKubeconfig)
	select {
	case <-ctx.Done():
		return nil
	case failure := <-plane.failed:
		return errors.Join(errors.New("a component stopped on its own"), failure)
	}
}
