package store_test

import (
	"context"
	"fmt"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"

	"github.com/chelseru/chelseru-go/store"
)

// A host hands over the *gorm.DB it opened itself, with the driver it
// chose; the tables get a prefix of their own.
func ExampleNew() {
	db, err := gorm.Open(sqlite.Open("file:store-example?mode=memory"), &gorm.Config{})
	if err != nil {
		panic(err)
	}
	st, err := store.New(db, store.Config{TablePrefix: "auth_"})
	if err != nil {
		panic(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		panic(err)
	}
	u, created, err := st.LoginUser(context.Background(), "09120000001", 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(u.Username, created)
	// Output: G0-09120000001 true
}
